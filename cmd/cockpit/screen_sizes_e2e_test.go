package main

import (
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/internal/testsvc"
	"github.com/openagents/cockpit/journal"
)

// TestScreenDoubleEnterAndResize drives the real binary in tmux on a world
// with a database, so S1's gates are all green: a double-tapped Enter on S1
// opens its dialog and runs nothing; resizing 80×24 → 200×50 → 80×24 keeps
// the runbook's first item at the top of the list, and at 80×24 the header
// and the footer's `q quit` stay whole.
func TestScreenDoubleEnterAndResize(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the screen in tmux")
	}
	tmux := toolBinary(t, "tmux", "screen", "apt-get install -y tmux")
	t.Parallel()
	bin := cockpitBinary(t)
	e := newE2EWorld(t, bin, exampleTimeouts(t)) // S1's gates must all read green
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", testsvc.FreePort(t))
	op := newTmuxScreen(t, tmux, "env", "DB_URL="+e.dbURL, bin, "operate", "--config", e.config, "--env", "staging",
		"--metrics-addr", metricsAddr)
	op.waitFor("the four panes and a green P4", 30*time.Second, func(s string) bool {
		return screenPanesLive(s) && strings.Contains(s, "✔ PASS    P4")
	})
	checkSelfMetrics(t, "http://"+metricsAddr+"/metrics")

	op.selectItem("S1")
	op.keys("Enter", "Enter")
	// The dialog's gates are live: a round whose queries timed out on a
	// busy machine holds them UNKNOWN until the next round answers.
	op.waitFor("S1's confirm dialog, all gates green", 30*time.Second, func(s string) bool {
		return strings.Contains(s, "CONFIRM S1") && strings.Contains(s, "y/enter confirm") && !strings.Contains(s, "override reason")
	})
	// Keys are handled in order: Escape cancelling the dialog proves the
	// second Enter left it open, whatever the machine's speed.
	op.keys("Escape")
	op.waitFor("the dialog the double Enter left open cancelled", 30*time.Second, func(s string) bool {
		return strings.Contains(s, "cancelled: S1 not run") && !strings.Contains(s, "CONFIRM")
	})
	if recs := e.timeline("staging"); hasApproval(recs, "S1") {
		t.Fatalf("a double Enter journaled an approval of S1: %+v", recs)
	}
	if st := e.state("staging"); len(st.Controls) != 0 {
		t.Fatalf("a double Enter applied controls: %v", st.Controls)
	}

	for _, size := range [][2]string{{"80", "24"}, {"200", "50"}, {"80", "24"}} {
		op.run("resize-window", "-t", "cockpit", "-x", size[0], "-y", size[1])
		op.waitFor("P1 at the top of the list at "+size[0]+"×"+size[1], 30*time.Second, firstItemOnTop)
	}
	// Right after a resize tmux shows the old frame cut to 80×24, and the
	// cockpit's renderer may flush the old view once before the new one:
	// neither is the 80×24 screen, so wait for the one with P1 on top, a
	// whole header and the footer's keys rather than judge whatever is up.
	op.waitFor("at 80×24 P1 on top, a whole header (staging, legacy, no …) and a footer with ? help and q quit", 30*time.Second,
		func(s string) bool {
			lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
			head, foot := lines[0], lines[len(lines)-1]
			return firstItemOnTop(s) && strings.Contains(head, "staging") && strings.Contains(head, "legacy") &&
				!strings.Contains(head, "…") && strings.Contains(foot, "? help") && strings.Contains(foot, "q quit")
		})
	op.keys("q")
	op.waitExit()
}

// firstItemOnTop holds when the runbook list starts with P1 on a screen of
// at least 20 lines.
func firstItemOnTop(s string) bool {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) < 20 {
		return false
	}
	for i, l := range lines {
		if strings.HasPrefix(l, "RUNBOOK") {
			return i+1 < len(lines) && strings.Contains(lines[i+1], "P1 parity gate allow")
		}
	}
	return false
}

func hasApproval(recs []journal.Record, step string) bool {
	for _, r := range recs {
		if r.Kind == journal.KindApproval && r.Step == step {
			return true
		}
	}
	return false
}

// TestAHealthyWorldIsQuiet: a fresh world with a database, no fault: once
// the first window has filled, `check all` exits 0 and no line reads
// FAIL, WARN or PENDING for a minute; after S1 and a clean rollback no
// incident goes pending for the next minute and a quarter (frozen_writes'
// `for` is 2m: a burst of the rollback's own 503s must not start it).
func TestAHealthyWorldIsQuiet(t *testing.T) {
	if testing.Short() {
		t.Skip("watches a world for two minutes")
	}
	t.Parallel()
	e := newE2EWorld(t, cockpitBinary(t), exampleTimeouts(t))
	quiet := func(what string, d time.Duration, kinds ...string) {
		t.Helper()
		for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(5 * time.Second) {
			code, checks := e.checkJSON("staging", what)
			for id, c := range checks {
				for _, bad := range kinds {
					if c.Verdict == bad {
						t.Errorf("check %s: %s %s: %s", what, id, c.Verdict, c.Evidence)
					}
				}
			}
			if what == "all" && code != exitOK {
				t.Errorf("check all on a healthy world: exit %d, want 0: %s", code, notPassing(checks))
			}
			if t.Failed() {
				t.FailNow()
			}
		}
	}
	quiet("all", time.Minute, "FAIL", "WARN", "PENDING")

	e.mustRun(exitOK, "run", "S1", "--env", "staging", "--approve", "S1")
	e.mustRun(exitRolledBack, "rollback", "--env", "staging", "--approve", "rollback")
	quiet("incidents", 75*time.Second, "FAIL", "PENDING")
}

// notPassing names every check whose verdict is neither PASS nor AWAITS,
// with its evidence: why a verb did not exit 0.
func notPassing(checks map[string]checkLine) string {
	var out []string
	for id, c := range checks {
		if c.Verdict != "PASS" && c.Verdict != "AWAITS" {
			out = append(out, id+" "+c.Verdict+": "+c.Evidence)
		}
	}
	slices.Sort(out)
	return strings.Join(out, "; ")
}

// checkSelfMetrics scrapes the operating screen's --metrics-addr: the
// verdicts it shows are there, and promtool accepts the exposition.
func checkSelfMetrics(t *testing.T, url string) {
	t.Helper()
	promtool := toolBinary(t, "promtool", "metrics", "apt-get install -y prometheus")
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scraping %s: %v", url, err)
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scraping %s: %d %v", url, resp.StatusCode, err)
	}
	for _, want := range []string{`cockpit_item_verdict{env="staging",item="P4",verdict="PASS"} 1`,
		`cockpit_item_progress{env="staging",item="S1",progress="not run"} 1`, "cockpit_observation_age_seconds"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the cockpit's metrics lack %q:\n%s", want, body)
		}
	}
	cmd := exec.CommandContext(t.Context(), promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(string(body))
	if out, err := cmd.CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}
