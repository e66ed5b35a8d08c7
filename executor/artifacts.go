package executor

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/openagents/cockpit/internal/boundedfile"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/runbook"
)

// collectArtifacts is R4: <state_dir>/<env>/artifacts/rollback-<UTC>/ with
// the parity reports, the timeline (journal.jsonl + timeline.md) and a
// snapshot of every signal, plus a .tar.gz of it next to the directory, so
// the evidence of what happened survives whatever is retried next.
//
// Artifacts hold what the journal holds, so they are the operator's alone:
// directories 0700, files and the archive 0600. Only regular files are
// copied, never through a symlink (a report "file" linking to /etc/passwd
// is refused and named in the error), and signals.json is redacted with
// the config's secrets like the journal is.
//
// A state disk that refuses the artifacts (full, read-only) does not fail
// R4: they are collected under the journal's fallback directory instead,
// said in the journal and in the returned directory.
//
// What R4 skips or moves is journaled and told to report, the rollback's
// progress on screen.
func (x *Executor) collectArtifacts(ctx context.Context, operator string, report func(string)) (string, error) {
	if x.opts.Config == nil || x.opts.Config.StateDir == "" {
		return "", errors.New("no state_dir to collect artifacts into")
	}
	env := x.world.Env()
	stamp := "rollback-" + x.opts.Now().UTC().Format("20060102T150405.000Z")
	dir := filepath.Join(x.opts.Config.StateDir, env.Name, "artifacts", stamp)
	err := x.collectInto(ctx, dir, operator, report)
	if !diskRefused(err) {
		return dir, err
	}
	// The part that fit would read as collected to whoever observes R4
	// there (rollbackArtifacts): it goes, the whole is collected elsewhere.
	_ = os.RemoveAll(dir)
	_ = os.Remove(dir + ".tar.gz")
	base := filepath.Join(journal.FallbackDir(), "cockpit-"+env.Name+"-artifacts")
	if perr := privateDir(base); perr != nil {
		return dir, errors.Join(err, perr)
	}
	alt := filepath.Join(base, stamp)
	x.noteR4(operator, report, fmt.Sprintf("the state disk refused the artifacts (%v): collecting them in %s", firstLine(err.Error()), alt))
	return alt, x.collectInto(ctx, alt, operator, report)
}

// privateDir makes dir (0700) unless it exists, and refuses it unless it is
// a directory of this user's that nobody else can write: the fallback
// directory may be a shared /tmp, where anyone can plant a name first.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating fallback artifact directory: %w", err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !fi.IsDir() || fi.Mode().Perm()&0o022 != 0 || ok && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("fallback artifact directory %s is not this user's private directory (%s): not used", dir, fi.Mode())
	}
	return nil
}

// noteR4 journals an R4 event and shows it as the rollback's progress.
func (x *Executor) noteR4(operator string, report func(string), msg string) {
	x.record(journal.Record{Kind: journal.KindProgress, Step: runbook.RollbackID, Check: "R4", Operator: operator, Message: msg})
	report(msg)
}

// diskRefused is a write the disk itself refused: full, over quota or
// read-only (another directory may still take it).
func diskRefused(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) || errors.Is(err, syscall.EROFS)
}

// collectInto is R4 into dir.
func (x *Executor) collectInto(ctx context.Context, dir, operator string, report func(string)) error {
	if err := os.MkdirAll(filepath.Join(dir, "parity"), 0o700); err != nil {
		return fmt.Errorf("creating artifact directory: %w", err)
	}
	note := func(path string) {
		x.record(journal.Record{Kind: journal.KindArtifact, Step: runbook.RollbackID, Check: "R4", Operator: operator, Message: path})
	}
	errs := x.copyReports(ctx, dir, func(msg string) { x.noteR4(operator, report, msg) }, note)

	signals := filepath.Join(dir, "signals.json")
	if err := writeJSON(signals, snapshotOf(x.world.Observe(runbook.WithFreshProbes(ctx))), x.secrets()...); err != nil {
		errs = append(errs, fmt.Errorf("writing signals snapshot: %w", err))
	} else {
		note(signals)
	}
	errs = append(errs, x.copyTimeline(ctx, dir)...)
	x.writePostMortem(ctx, dir, func(msg string) { x.noteR4(operator, report, msg) }, note)

	archive := dir + ".tar.gz"
	if err := tarGz(dir, archive); err != nil {
		errs = append(errs, fmt.Errorf("archiving artifacts: %w", err))
	} else {
		note(archive)
	}
	return errors.Join(errs...)
}

// copyReports copies each parity report, read through boundedfile: a
// symlink, a named pipe or a device is named and skipped, and a report on a
// hung file system costs its bound, never the rollback.
func (x *Executor) copyReports(ctx context.Context, dir string, skipped, note func(string)) []error {
	env := x.world.Env()
	reports, err := boundedfile.Glob(ctx, env.Parity.Reports, boundedfile.Options{})
	var errs []error
	if err != nil {
		errs = append(errs, fmt.Errorf("parity reports glob %q: %w", env.Parity.Reports, err))
	}
	for i, src := range reports {
		b, _, err := boundedfile.Read(ctx, src, boundedfile.Options{NoFollow: true})
		var nr *boundedfile.NotRegularError
		if errors.As(err, &nr) {
			skipped(fmt.Sprintf("parity report %s skipped: %s, not a regular file", src, nr.Kind))
			continue
		}
		dst := filepath.Join(dir, "parity", fmt.Sprintf("%03d-%s", i+1, filepath.Base(src)))
		if err == nil {
			err = writeNew(dst, bytes.NewReader(b))
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("copying parity report: %w", err))
			continue
		}
		note(dst)
	}
	return errs
}

// copyTimeline copies the journal (and its fallback file, when the state
// disk sent records there) and renders timeline.md. It goes last so it
// includes the artifact records before it.
func (x *Executor) copyTimeline(ctx context.Context, dir string) []error {
	var errs []error
	jpath := x.journal.Path()
	if err := copyFile(ctx, jpath, filepath.Join(dir, "journal.jsonl")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, fmt.Errorf("copying journal: %w", err))
	}
	if fb := x.journal.Fallback(); fb.File != "" {
		if err := copyFile(ctx, fb.File, filepath.Join(dir, "journal-fallback.jsonl")); err != nil {
			errs = append(errs, fmt.Errorf("copying the fallback journal: %w", err))
		}
	}
	recs, rerr := journal.Read(jpath)
	var corrupt *journal.CorruptError
	if rerr != nil && !errors.As(rerr, &corrupt) {
		errs = append(errs, rerr)
	}
	if err := writeTimeline(filepath.Join(dir, "timeline.md"), x.world.Env().Name, recs); err != nil {
		errs = append(errs, err)
	}
	return errs
}

func writeTimeline(path, env string, recs []journal.Record) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
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
	Incidents []runbook.IncidentStatus  `json:"incidents"`
}

type signalSnapshot struct {
	Query    string    `json:"query"`
	Value    *float64  `json:"value"` // null: no data
	HasValue bool      `json:"has_value"`
	Series   int       `json:"series"`
	At       time.Time `json:"at"`
	Error    string    `json:"error,omitempty"`
	Warnings []string  `json:"warnings,omitempty"`
}

func snapshotOf(s runbook.State) signalsSnapshot {
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
			ss.Value, ss.HasValue = &v, true
		}
		if smp.Err != nil {
			ss.Error = smp.Err.Error()
		}
		out.Signals[name] = ss
	}
	return out
}

// secrets are the values expanded from the environment into the config
// (config.Config.Secrets); the journal has the same ones.
func (x *Executor) secrets() []string {
	if x.opts.Config == nil {
		return nil
	}
	return x.opts.Config.Secrets
}

// writeJSON writes v indented, every string in it (keys too) passed through
// journal.Redact with secrets, to a new 0600 file.
func writeJSON(path string, v any, secrets ...string) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		return err
	}
	b, err := json.MarshalIndent(redactJSON(generic, secrets), "", "  ")
	if err != nil {
		return err
	}
	return writeNew(path, bytes.NewReader(append(b, '\n')))
}

// redactJSON redacts every string of a decoded JSON value.
func redactJSON(v any, secrets []string) any {
	switch t := v.(type) {
	case string:
		return journal.Redact(t, secrets...)
	case []any:
		for i := range t {
			t[i] = redactJSON(t[i], secrets)
		}
		return t
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[journal.Redact(k, secrets...)] = redactJSON(e, secrets)
		}
		return out
	}
	return v
}

// ownFileMax is the cap on a file of the cockpit's own: none in practice.
const ownFileMax = 1 << 40

// copyFile copies a file of the cockpit's own (the journal) and nothing
// but a regular file: opened through boundedfile without following a
// symlink, so neither a link nor a swap makes it copy another file.
func copyFile(ctx context.Context, src, dst string) error {
	in, _, err := boundedfile.Open(ctx, src, boundedfile.Options{NoFollow: true, MaxBytes: ownFileMax})
	if err != nil {
		return err
	}
	defer in.Close()
	return writeNew(dst, in)
}

// writeNew creates path, which must not exist (O_EXCL, so nothing planted
// in the artifact directory is written through), 0600, with r's bytes.
func writeNew(path string, r io.Reader) error {
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, r); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}

// tarGz archives dir (its base name as the top directory) into path, 0600:
// directories and regular files only (WalkDir does not follow symlinks, and
// none is archived), each entry 0700 or 0600 whatever its mode on disk.
func tarGz(dir, path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	walkErr := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && !d.Type().IsRegular() {
			return nil
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
		hdr.Mode = 0o600
		if d.IsDir() {
			hdr.Mode = 0o700
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		in, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
		if err != nil {
			return err
		}
		defer in.Close()
		_, err = io.Copy(tw, in)
		return err
	})
	return errors.Join(walkErr, tw.Close(), gz.Close(), f.Close())
}

// writePostMortem writes the post-mortem report into dir/report when the
// executor was given one (Options.PostMortem); a failure is noted.
func (x *Executor) writePostMortem(ctx context.Context, dir string, say, note func(string)) {
	if x.opts.PostMortem == nil {
		return
	}
	out := filepath.Join(dir, "report")
	if err := x.opts.PostMortem(ctx, out); err != nil {
		say("the post-mortem report was not written: " + firstLine(err.Error()))
		return
	}
	note(filepath.Join(out, "report.md"))
}
