package main

import (
	"archive/tar"
	"compress/gzip"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/recording"
	"github.com/openagents/cockpit/report"
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
	e.ctl("staging", "fault", "error-spike", "on")
	eventually(t, 2*time.Minute, time.Second, "write_error_spike firing in check", func() bool {
		_, inc := incidentLines(t, e, "staging")
		return inc["write_error_spike"].Verdict == "FAIL"
	})
	e.ctl("staging", "fault", "error-spike", "off")
	e.mustRun(exitRolledBack, "rollback", "--env", "staging", "--approve", "rollback")

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
	assertCharts(t, e, filepath.Join(out, "charts"))
	assertTarballHoldsTheReport(t, e)
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
	if segs, _, _ := recording.List(recording.Dir(filepath.Join(e.dir, "state"), "staging")); len(segs) == 0 {
		t.Error("the checks recorded no round")
	}
}
