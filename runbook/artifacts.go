package runbook

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/openagents/cockpit/journal"
)

// collectArtifacts is R4: <state_dir>/<env>/artifacts/rollback-<UTC>/ with
// the parity reports, the timeline (journal.jsonl + timeline.md) and a
// snapshot of every signal, plus a .tar.gz of it next to the directory, so
// the evidence of what happened survives whatever is retried next.
func (x *Executor) collectArtifacts(ctx context.Context, operator string) (string, error) {
	if x.opts.Config == nil || x.opts.Config.StateDir == "" {
		return "", errors.New("no state_dir to collect artifacts into")
	}
	env := x.world.Env()
	dir := filepath.Join(x.opts.Config.StateDir, env.Name, "artifacts",
		"rollback-"+x.opts.Now().UTC().Format("20060102T150405.000Z"))
	if err := os.MkdirAll(filepath.Join(dir, "parity"), 0o700); err != nil {
		return "", fmt.Errorf("creating artifact directory: %w", err)
	}
	var errs []error
	note := func(path string) {
		x.record(journal.Record{Kind: journal.KindArtifact, Step: RollbackID, Check: "R4", Operator: operator, Message: path})
	}

	reports, err := filepath.Glob(env.Parity.Reports)
	if err != nil {
		errs = append(errs, fmt.Errorf("parity reports glob %q: %w", env.Parity.Reports, err))
	}
	for i, src := range reports {
		dst := filepath.Join(dir, "parity", fmt.Sprintf("%03d-%s", i+1, filepath.Base(src)))
		if err := copyFile(src, dst); err != nil {
			errs = append(errs, fmt.Errorf("copying parity report: %w", err))
			continue
		}
		note(dst)
	}

	signals := filepath.Join(dir, "signals.json")
	if err := writeJSON(signals, snapshotOf(x.world.Observe(ctx))); err != nil {
		errs = append(errs, fmt.Errorf("writing signals snapshot: %w", err))
	} else {
		note(signals)
	}

	// The timeline goes last so it includes the artifact records above.
	jpath := x.journal.Path()
	if err := copyFile(jpath, filepath.Join(dir, "journal.jsonl")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, fmt.Errorf("copying journal: %w", err))
	}
	recs, rerr := journal.Read(jpath)
	var corrupt *journal.CorruptError
	if rerr != nil && !errors.As(rerr, &corrupt) {
		errs = append(errs, rerr)
	}
	if err := writeTimeline(filepath.Join(dir, "timeline.md"), env.Name, recs); err != nil {
		errs = append(errs, err)
	}

	archive := dir + ".tar.gz"
	if err := tarGz(dir, archive); err != nil {
		errs = append(errs, fmt.Errorf("archiving artifacts: %w", err))
	} else {
		note(archive)
	}
	return dir, errors.Join(errs...)
}

func writeTimeline(path, env string, recs []journal.Record) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("writing timeline: %w", err)
	}
	if err := RenderTimeline(f, env, recs, TimelineMarkdown); err != nil {
		_ = f.Close()
		return fmt.Errorf("writing timeline: %w", err)
	}
	return f.Close()
}

// signalsSnapshot is signals.json: every signal's last value with its age,
// the observed cutover state and the incidents, as the rollback saw them.
type signalsSnapshot struct {
	At        time.Time                 `json:"at"`
	Env       string                    `json:"env"`
	Observed  map[string]string         `json:"observed"`
	Signals   map[string]signalSnapshot `json:"signals"`
	Incidents []IncidentStatus          `json:"incidents"`
}

type signalSnapshot struct {
	Query    string    `json:"query"`
	Value    *float64  `json:"value"` // null: no data
	Series   int       `json:"series"`
	At       time.Time `json:"at"`
	Error    string    `json:"error,omitempty"`
	Warnings []string  `json:"warnings,omitempty"`
}

func snapshotOf(s State) signalsSnapshot {
	out := signalsSnapshot{At: s.At, Env: s.Env, Incidents: s.Incidents, Signals: map[string]signalSnapshot{},
		Observed: map[string]string{
			"rust_write_mode": s.Observed.RustWriteMode.Evidence.String(),
			"legacy_freeze":   s.Observed.LegacyFreeze.Evidence.String(),
			"write_target":    s.Observed.WriteTarget.Evidence.String(),
			"cohort_percent":  fmt.Sprintf("%g", s.Observed.CohortPercent),
		}}
	for name, smp := range s.Snapshot.Samples {
		ss := signalSnapshot{Query: smp.Query, Series: smp.Series, At: smp.At, Warnings: smp.Warnings}
		if smp.HasValue {
			v := smp.Value
			ss.Value = &v
		}
		if smp.Err != nil {
			ss.Error = smp.Err.Error()
		}
		out.Signals[name] = ss
	}
	return out
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o600)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}

// tarGz archives dir (its base name as the top directory) into path.
func tarGz(dir, path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	walkErr := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		hdr, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(filepath.Dir(dir), p)
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(rel)
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		_, err = io.Copy(tw, in)
		return err
	})
	return errors.Join(walkErr, tw.Close(), gz.Close(), f.Close())
}
