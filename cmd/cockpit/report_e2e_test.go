package main

import (
	"archive/tar"
	"compress/gzip"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/executor"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/recording"
	"github.com/openagents/cockpit/report"
	"github.com/openagents/cockpit/runbook"
)

// TestTheReportOfACutoverAndItsRollback: S1 with an override, an error
// spike that fires while a script polls `check incidents` (each call
// records its round), the rollback (R4 writes the report into its
// artifacts), then `cockpit report`: report.md names S1, its override
// reason, the rollback and its duration, the incident; every chart is
// XML with one line per series and the signal's thresholds; R4's tarball
// holds the report.
func TestTheReportOfACutoverAndItsRollback(t *testing.T) {
	if testing.Short() {
		t.Skip("runs S1, an error spike and a rollback on a rehearsal world")
	}
	t.Parallel()
	e := newE2EWorld(t, cockpitBinary(t), func(cfg string) string {
		return incidentFor(t, cfg, "write_error_spike", 10*time.Second)
	})
	start := time.Now().UTC()
	e.mustRunEnv(map[string]string{}, exitOK, "run", "S1", "--env", "staging", "--approve", "S1", "--override-reason", "P4 read by the DBA")
	assertRunRecordedItsGates(t, e, "S1")
	e.ctl("staging", "fault", "error-spike", "on")
	eventually(t, 2*time.Minute, time.Second, "write_error_spike firing in check", func() bool {
		_, inc := incidentLines(t, e, "staging")
		return inc["write_error_spike"].Verdict == "FAIL"
	})
	e.ctl("staging", "fault", "error-spike", "off")
	e.mustRun(exitRolledBack, "rollback", "--env", "staging", "--approve", "rollback")
	rounds, size := recordedBy(t, e, "rollback")
	t.Logf("the rollback added %d rounds, %d bytes to the recording", rounds, size)

	out := t.TempDir()
	stdout := e.mustRun(exitOK, "report", "--env", "staging", "--from", start.Add(-time.Minute).Format(time.RFC3339), "--out", out)
	if !strings.Contains(stdout, filepath.Join(out, "report.md")) {
		t.Errorf("report does not name what it wrote: %q", stdout)
	}
	md, err := os.ReadFile(filepath.Join(out, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"- **S1** OK by ", "reason: “P4 read by the DBA”", "- **rollback** OK",
		"the rollback started at ", "**I2 write_error_spike** fired from ", "### S1, approved by ", "### I2 write_error_spike", "# Cutover timeline: staging"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md does not say %q:\n%s", want, md)
		}
	}
	if by := regexp.MustCompile(`recording \(\d+ rounds: .*\d+ by rollback, .*\d+ by run\)`); !by.Match(md) {
		t.Errorf("report.md does not count the rounds run and the rollback recorded (%s):\n%s", by, md)
	}
	assertCharts(t, e, filepath.Join(out, "charts"))
	assertTarballHoldsTheReport(t, e)
	assertRecordedFiring(t, e, "check", "write_error_spike") // each check recorded its round
}

// assertCharts parses every chart as XML: one series line, one line per
// threshold the signal has.
func assertCharts(t *testing.T, e *e2eWorld, dir string) {
	t.Helper()
	cfg, err := config.Load(e.config)
	if err != nil {
		t.Fatal(err)
	}
	signals := cfg.Environments["staging"].Signals
	charts, _ := filepath.Glob(filepath.Join(dir, "*.svg"))
	if len(charts) < 3 {
		t.Fatalf("%d charts in %s, want one per signal observed", len(charts), dir)
	}
	for _, path := range charts {
		name := strings.TrimSuffix(filepath.Base(path), ".svg")
		sig := signals[name]
		if sig == nil {
			t.Errorf("a chart for %s, which the config does not have", name)
			continue
		}
		lines := strokes(t, path)
		want := map[string]int{colorHex(report.SeriesColor): 1, colorHex(report.WarnColor): 0, colorHex(report.CritColor): 0}
		if sig.Warn != nil {
			want[colorHex(report.WarnColor)] = 1
		}
		if sig.Crit != nil {
			want[colorHex(report.CritColor)] = 1
		}
		for c, n := range want {
			if lines[c] != n {
				t.Errorf("%s: %d lines stroked %s, want %d (series %s, warn %s, crit %s)", name, lines[c], c, n,
					colorHex(report.SeriesColor), colorHex(report.WarnColor), colorHex(report.CritColor))
			}
		}
		if lines[colorHex(report.ActionColor)] == 0 {
			t.Errorf("%s: no action marked on the time axis", name)
		}
	}
}

// strokes counts an SVG's paths by stroke colour; it fails unless the
// SVG is well-formed XML.
func strokes(t *testing.T, path string) map[string]int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := map[string]int{}
	dec := xml.NewDecoder(f)
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			t.Fatalf("%s is not XML: %v", path, err)
		}
		if el, ok := tok.(xml.StartElement); ok && el.Name.Local == "path" {
			for _, a := range el.Attr {
				if _, rest, ok := strings.Cut(a.Value, "stroke:#"); ok && a.Name.Local == "style" && len(rest) >= 6 {
					n["#"+rest[:6]]++
				}
			}
		}
	}
}

func colorHex(c interface{ RGBA() (r, g, b, a uint32) }) string {
	r, g, b, _ := c.RGBA()
	const digits = "0123456789ABCDEF"
	out := []byte{'#'}
	for _, v := range []uint32{r >> 8, g >> 8, b >> 8} {
		out = append(out, digits[v>>4], digits[v&15])
	}
	return string(out)
}

// assertTarballHoldsTheReport opens R4's archive: report/report.md and
// the charts are in it.
func assertTarballHoldsTheReport(t *testing.T, e *e2eWorld) {
	t.Helper()
	arts, _ := filepath.Glob(filepath.Join(e.dir, "state", "staging", "artifacts", "rollback-*.tar.gz"))
	if len(arts) != 1 {
		t.Fatalf("R4 archives: %v, want one", arts)
	}
	f, err := os.Open(arts[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var md, svg bool
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		md = md || strings.HasSuffix(h.Name, "report/report.md")
		svg = svg || strings.Contains(h.Name, "report/charts/") && strings.HasSuffix(h.Name, ".svg")
	}
	if !md || !svg {
		t.Errorf("R4's archive %s holds report.md: %v, a chart: %v", arts[0], md, svg)
	}
}

// assertRecordedFiring reads the world's staging recording: process's
// rounds are in it, and in one of them the incident id fires.
func assertRecordedFiring(t *testing.T, e *e2eWorld, process, id string) {
	t.Helper()
	rounds, firing := 0, false
	notes, err := recording.Read(recording.Dir(filepath.Join(e.dir, "state"), "staging"), recording.Query{}, func(r recording.Round) error {
		if r.Header.Process != process {
			return nil
		}
		rounds++
		st, err := r.State()
		if err != nil {
			return err
		}
		for _, inc := range st.Incidents {
			firing = firing || inc.ID == id && inc.State == runbook.IncidentFiring
		}
		return nil
	})
	if err != nil || rounds == 0 || !firing {
		t.Errorf("the recording holds %d rounds of %s, %s firing in one: %v (%v, notes %q)", rounds, process, id, firing, err, notes)
	}
}

// assertRunRecordedItsGates reads what `run step` left in the recording:
// its rounds, as run's; the one it observed under the lock just before
// the approval holds the gates the approval journaled, and replay's
// reader shows it as recorded by run. It logs what the run added.
func assertRunRecordedItsGates(t *testing.T, e *e2eWorld, step string) {
	t.Helper()
	stateDir := filepath.Join(e.dir, "state")
	recs, err := journal.Read(journal.Path(stateDir, "staging"))
	must(t, err)
	var taken, approval journal.Record
	for _, r := range recs {
		switch {
		case r.Kind == journal.KindProgress && r.Check == "lock" && r.Message == executor.LockTakenMessage+" for "+step:
			taken = r
		case r.Kind == journal.KindApproval && r.Step == step:
			approval = r
		}
	}
	if taken.Time.IsZero() || approval.Time.Before(taken.Time) {
		t.Fatalf("the journal holds no lock taken for %s (%s) before its approval (%s)", step, taken.Time, approval.Time)
	}
	rec, notes, err := readRecording(recording.Dir(stateDir, "staging"), recording.Query{}, "run")
	if err != nil {
		t.Fatalf("replay finds no round recorded by run: %v (%q)", err, notes)
	}
	gate := -1
	for i := range rec.Len() {
		if at := rec.Time(i); !at.Before(taken.Time) && !at.After(approval.Time) {
			gate = i
		}
	}
	if gate < 0 {
		t.Fatalf("none of run's %d rounds was observed between the lock (%s) and the approval (%s): the confirm-time gates are not recorded",
			rec.Len(), taken.Time, approval.Time)
	}
	st, err := rec.State(gate)
	must(t, err)
	if !strings.HasPrefix(st.Source, "recorded by run on ") {
		t.Errorf("replay shows the confirm-time round as %q", st.Source)
	}
	for _, id := range []string{"P1", "P2", "P3", "P4"} {
		is, ok := st.Item(id)
		if !ok {
			t.Errorf("the confirm-time round holds no %s", id)
			continue
		}
		sum := is.Summary(st.At)
		if want := id + " " + sum.Evidence.String() + " → " + sum.Verdict.String(); !strings.Contains(approval.Evidence, want) {
			t.Errorf("the approval saw other gates than the recorded round's: no %q in\n%s", want, approval.Evidence)
		}
	}
	rounds, size := recordedBy(t, e, "run")
	if rounds != rec.Len() {
		t.Errorf("the recording holds %d rounds of run, replay reads %d", rounds, rec.Len())
	}
	t.Logf("run %s added %d rounds, %d bytes to the recording", step, rounds, size)
}

// recordedBy is how many rounds process recorded in the world's staging
// recording, and the bytes of its segments.
func recordedBy(t *testing.T, e *e2eWorld, process string) (rounds int, size int64) {
	t.Helper()
	dir := recording.Dir(filepath.Join(e.dir, "state"), "staging")
	segs, _, err := recording.List(dir)
	must(t, err)
	for _, s := range segs {
		if s.Header.Process == process {
			size += s.Size
		}
	}
	_, err = recording.Read(dir, recording.Query{}, func(r recording.Round) error {
		if r.Header.Process == process {
			rounds++
		}
		return nil
	})
	must(t, err)
	if rounds == 0 {
		t.Errorf("%s recorded no round", process)
	}
	return rounds, size
}
