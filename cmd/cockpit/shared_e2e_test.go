package main

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openagents/cockpit/journal"
)

// TestTheTimelineIsSharedThroughTheDatabase: S1 run on one machine (state
// dir A) is printed in order by `timeline` on another (an empty state dir
// B) that has only the same database.
func TestTheTimelineIsSharedThroughTheDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("runs S1 on a rehearsal world")
	}
	t.Parallel()
	e := newE2EWorld(t, cockpitBinary(t), nil)
	e.mustRun(exitOK, "run", "S1", "--env", "staging", "--approve", "S1")

	machineB := &e2eWorld{t: t, bin: e.bin, w: e.w, config: machineBConfig(t, e), dbURL: e.dbURL}
	recs := machineB.timeline("staging")
	if _, err := os.Stat(journal.Path(filepath.Join(filepath.Dir(machineB.config), "state"), "staging")); err == nil {
		t.Fatal("machine B has a journal of its own: the test proves nothing")
	}
	// Every S1 record the operator's machine journaled (each sub-step's
	// intent and outcome, the final outcome), in the same order.
	local := e.timeline("staging")
	mine, theirs := stepRecords(local, "S1"), stepRecords(recs, "S1")
	if len(mine) < 4 || mine[0] != "progress lock lock taken for S1" || !strings.HasPrefix(mine[1], journal.KindApproval) ||
		mine[len(mine)-1] != "progress lock lock released" || !strings.HasPrefix(mine[len(mine)-2], journal.KindOutcome) {
		t.Fatalf("the operator's journal for S1 is not lock taken, approval, intents… outcome, lock released: %v", mine)
	}
	if strings.Join(mine, "\n") != strings.Join(theirs, "\n") {
		t.Fatalf("machine B's timeline for S1:\n%s\nwant the operator's:\n%s", strings.Join(theirs, "\n"), strings.Join(mine, "\n"))
	}
}

// stepRecords are a step's records as "kind check message", in order.
func stepRecords(recs []journal.Record, step string) []string {
	var out []string
	for _, r := range recs {
		if r.Step == step && r.Kind != journal.KindVerdict {
			out = append(out, strings.TrimSpace(r.Kind+" "+r.Check+" "+r.Message))
		}
	}
	return out
}

// TestAWatcherOnAnotherMachineSeesTheOperator: operate (state dir A) runs
// S1 in one tmux session; watch in another (state dir B, same database)
// shows "S1 running since … by <operator>" soon after the confirm and S1
// done soon after the operator's screen says so. The latencies are logged.
func TestAWatcherOnAnotherMachineSeesTheOperator(t *testing.T) {
	if testing.Short() {
		t.Skip("drives two screens in tmux")
	}
	tmux := toolBinary(t, "tmux", "screen", "apt-get install -y tmux")
	t.Parallel()
	bin := cockpitBinary(t)
	e := newE2EWorldDelay(t, bin, 2*time.Second, nil)
	other := machineBConfig(t, e)
	op := newTmuxScreen(t, tmux, "env", "DB_URL="+e.dbURL, "USER=alice", bin, "operate", "--config", e.config, "--env", "staging")
	w := newTmuxScreen(t, tmux, "env", "DB_URL="+e.dbURL, "USER=bob", bin, "watch", "--config", other, "--env", "staging")
	for _, s := range []*tmuxScreen{op, w} {
		s.waitFor("the panes and a green P4", 30*time.Second, func(s string) bool {
			return screenPanesLive(s) && strings.Contains(s, "✔ PASS    P4")
		})
	}
	op.selectItem("S1")
	op.keys("Enter")
	op.waitFor("S1's dialog", 10*time.Second, func(s string) bool { return strings.Contains(s, "y/enter confirm") })
	time.Sleep(time.Second) // past the dialog's grace
	op.keys("y")
	confirmed := time.Now()
	w.waitFor("the watcher seeing S1 run by alice", 5*time.Second, func(s string) bool {
		return strings.Contains(s, "S1 running since") && strings.Contains(s, "by alice")
	})
	t.Logf("watcher saw S1 running %s after the confirm", time.Since(confirmed).Round(10*time.Millisecond))
	op.waitFor("S1 done on the operator's screen", 60*time.Second, func(s string) bool { return strings.Contains(s, "S1 done") })
	ended := time.Now()
	w.waitFor("the watcher seeing S1 done", 5*time.Second, func(s string) bool {
		return strings.Contains(s, "RUNBOOK · S1 done at") && strings.Contains(s, "(") && strings.Contains(s, "by alice")
	})
	t.Logf("watcher saw S1 done %s after the operator's screen", time.Since(ended).Round(10*time.Millisecond))
	if _, err := os.Stat(journal.Path(filepath.Join(filepath.Dir(other), "state"), "staging")); err == nil {
		t.Error("the watcher wrote a journal of its own")
	}
	op.keys("q")
	w.keys("q")
}

// machineBConfig is the world's config with an empty state dir of its own
// (beside the returned file): another machine sharing only the database.
func machineBConfig(t *testing.T, e *e2eWorld) string {
	t.Helper()
	raw, err := os.ReadFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	b := regexp.MustCompile(`(?m)^state_dir: .*$`).ReplaceAll(raw, []byte("state_dir: "+filepath.Join(dir, "state")))
	path := filepath.Join(dir, "machine-b.yaml")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestFollowersCostPrometheusNothing: Prometheus requests are counted at a
// proxy in front of the world's Prometheus. One operate alone for 30s,
// then the same operate with ten watch --follow screens for 30s: the
// followers render the operator's published rounds and add no query.
func TestFollowersCostPrometheusNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("drives eleven screens in tmux for a minute")
	}
	tmux := toolBinary(t, "tmux", "screen", "apt-get install -y tmux")
	t.Parallel()
	bin := cockpitBinary(t)
	var queries atomic.Int64
	var prom *httputil.ReverseProxy
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/v1/query") {
			queries.Add(1)
		}
		prom.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	// Staging's Prometheus is reached through the proxy.
	e := newE2EWorld(t, bin, func(cfg string) string {
		at := strings.Index(cfg, "\n  staging:")
		staging := regexp.MustCompile(`prometheus: \{url: "([^"]+)"\}`)
		m := staging.FindStringSubmatchIndex(cfg[at:])
		if at < 0 || m == nil {
			t.Fatalf("no staging prometheus url in the config:\n%s", cfg)
		}
		target, err := url.Parse(cfg[at+m[2] : at+m[3]])
		if err != nil {
			t.Fatal(err)
		}
		prom = httputil.NewSingleHostReverseProxy(target)
		return cfg[:at+m[2]] + proxy.URL + cfg[at+m[3]:]
	})
	op := newTmuxScreen(t, tmux, "env", "DB_URL="+e.dbURL, bin, "operate", "--config", e.config, "--env", "staging")
	op.waitFor("the operator's panes", 30*time.Second, screenPanesLive)
	window := 30 * time.Second
	count := func() int64 {
		start := queries.Load()
		time.Sleep(window)
		return queries.Load() - start
	}
	alone := count()
	var followers []*tmuxScreen
	for range 10 {
		f := newTmuxScreen(t, tmux, "env", "DB_URL="+e.dbURL, bin, "watch", "--follow", "--config", machineBConfig(t, e), "--env", "staging")
		followers = append(followers, f)
	}
	for _, f := range followers {
		f.waitFor("a follower rendering the feed", 30*time.Second, func(s string) bool {
			return screenPanesLive(s) && strings.Contains(s, "following the shared feed")
		})
	}
	with := count()
	t.Logf("Prometheus queries in %s: operate alone %d, operate + 10 watch --follow %d", window, alone, with)
	if alone == 0 || float64(with) > 1.1*float64(alone) {
		t.Errorf("queries in %s: %d alone, %d with ten followers: want no more than +10%%", window, alone, with)
	}
}
