package main

import (
	"context"
	"fmt"
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

	"github.com/jackc/pgx/v5"

	"github.com/openagents/cockpit/internal/testsvc"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/sharedlog"
)

// TestTheTimelineIsSharedThroughTheDatabase: S1 run on one machine (state
// dir A) is printed in order by `timeline` on another (an empty state dir
// B) that has only the same database.
func TestTheTimelineIsSharedThroughTheDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("runs S1 on a rehearsal world")
	}
	t.Parallel()
	e := newE2EWorld(t, cockpitBinary(t), func(cfg string) string { return "operator: alice\n" + cfg })
	e.mustRun(exitOK, "run", "S1", "--env", "staging", "--approve", "S1")

	// Machine B lists alice's key: her records are believed, whole.
	aliceKey := strings.TrimSpace(e.mustRun(exitOK, "key"))
	machineB := &e2eWorld{t: t, bin: e.bin, dir: e.dir, config: teamConfig(t, machineBConfig(t, e), aliceKey), dbURL: e.dbURL}
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
	// The watcher's machine lists alice's key, as the team's config does.
	aliceKey, _, code := e.cockpitEnv(map[string]string{"USER": "alice"}, "key")
	if code != exitOK {
		t.Fatalf("cockpit key: exit %d", code)
	}
	other := teamConfig(t, machineBConfig(t, e), strings.TrimSpace(aliceKey))
	op := newTmuxScreen(t, tmux, "env", "DB_URL="+e.dbURL, "USER=alice", bin, "operate", "--config", e.config, "--env", "staging")
	w := newTmuxScreen(t, tmux, "env", "DB_URL="+e.dbURL, "USER=bob", bin, "watch", "--config", other, "--env", "staging")
	for _, s := range []*tmuxScreen{op, w} {
		s.waitFor("the panes and a green P4", 30*time.Second, func(s string) bool {
			return screenPanesLive(s) && strings.Contains(s, "✔ PASS    P4")
		})
	}
	op.selectItem("S1")
	op.keys("Enter")
	// The dialog draws its confirm keys once they work.
	op.waitFor("S1's dialog", 30*time.Second, func(s string) bool { return strings.Contains(s, "y/enter confirm") })
	op.keys("y")
	confirmed := time.Now()
	// The latencies are logged, not asserted: a loaded machine delays the
	// watcher's round, and what is proved is that it follows at all.
	w.waitFor("the watcher seeing S1 run by alice", 30*time.Second, func(s string) bool {
		return strings.Contains(s, "S1 running since") && strings.Contains(s, "by alice")
	})
	t.Logf("watcher saw S1 running %s after the confirm", time.Since(confirmed).Round(10*time.Millisecond))
	op.waitFor("S1 done on the operator's screen", 60*time.Second, func(s string) bool { return strings.Contains(s, "S1 done") })
	ended := time.Now()
	w.waitFor("the watcher seeing S1 done", 30*time.Second, func(s string) bool {
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

// TestFollowersCostPrometheusNothing: Prometheus requests are counted at
// two proxies in front of the world's Prometheus, one for the operating
// screen and one for ten watch --follow screens. Once every follower is
// rendering the operator's published rounds, and until the operator has
// made followedQueries more queries, the followers add no more than a
// tenth of the operator's queries: both are counted over the same window,
// whose edges are those conditions, so a busy machine slows both alike.
func TestFollowersCostPrometheusNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("drives eleven screens in tmux for a minute")
	}
	tmux := toolBinary(t, "tmux", "screen", "apt-get install -y tmux")
	t.Parallel()
	bin := cockpitBinary(t)
	operator, followers := &queryCounter{}, &queryCounter{}
	// Staging's Prometheus is reached through the operator's proxy.
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
		operator.start(t, target)
		followers.start(t, target)
		return "operator: alice\n" + cfg[:at+m[2]] + operator.srv.URL + cfg[at+m[3]:]
	})
	trustAlice(t, e) // followers render only rounds signed by a key they list
	op := newTmuxScreen(t, tmux, "env", "DB_URL="+e.dbURL, bin, "operate", "--config", e.config, "--env", "staging")
	op.waitFor("the operator's panes", 60*time.Second, screenPanesLive)
	var screens []*tmuxScreen
	for range 10 {
		cfg := followerConfig(t, e, operator.srv.URL, followers.srv.URL)
		screens = append(screens, newTmuxScreen(t, tmux, "env", "DB_URL="+e.dbURL, bin, "watch", "--follow", "--config", cfg, "--env", "staging"))
	}
	for _, f := range screens {
		f.waitFor("a follower rendering the feed", 60*time.Second, func(s string) bool {
			return screenPanesLive(s) && strings.Contains(s, "following the shared feed")
		})
	}
	opFrom, folFrom, from := operator.queries.Load(), followers.queries.Load(), time.Now()
	eventually(t, 5*time.Minute, 100*time.Millisecond, fmt.Sprintf("the operator making %d queries", followedQueries), func() bool {
		return operator.queries.Load()-opFrom >= followedQueries
	})
	opQ, folQ := operator.queries.Load()-opFrom, followers.queries.Load()-folFrom
	t.Logf("Prometheus queries in %s: operate %d, 10 watch --follow %d", time.Since(from).Round(time.Second), opQ, folQ)
	if float64(folQ) > 0.1*float64(opQ) {
		t.Errorf("ten followers made %d queries while the operator made %d: want no more than +10%%", folQ, opQ)
	}

	// The operator leaves: past stale_after the feed is old, and a follower
	// observes on its own and says so, rather than showing old rounds. Its
	// own queries, counted at the followers' proxy, show it observing
	// whether or not a loaded machine answers them within query_timeout.
	op.keys("q")
	screens[0].waitFor("a follower observing on its own once the feed is stale", 60*time.Second, func(s string) bool {
		return strings.Contains(s, "observing on its own: the shared feed is")
	})
	eventually(t, 60*time.Second, 100*time.Millisecond, "the followers querying Prometheus on their own", func() bool {
		return followers.queries.Load() > folFrom+folQ
	})
}

// followedQueries is how many of the operator's queries the followers'
// window spans: about 2.5 minutes of operate (testWorldTimeouts), which sends one
// request a round and a range request every fifth (metrics' batching).
const followedQueries = 60

// queryCounter is a proxy in front of the world's Prometheus that counts
// the queries reaching it.
type queryCounter struct {
	srv     *httptest.Server
	queries atomic.Int64
}

func (c *queryCounter) start(t *testing.T, prometheus *url.URL) {
	prom := httputil.NewSingleHostReverseProxy(prometheus)
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/v1/query") {
			c.queries.Add(1)
		}
		prom.ServeHTTP(w, r)
	}))
	t.Cleanup(c.srv.Close)
}

// followerConfig is another machine's config (machineBConfig) whose
// Prometheus is reached through the followers' proxy.
func followerConfig(t *testing.T, e *e2eWorld, operatorURL, followersURL string) string {
	t.Helper()
	path := machineBConfig(t, e)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), operatorURL) {
		t.Fatalf("no %s in %s", operatorURL, path)
	}
	must(t, os.WriteFile(path, []byte(strings.ReplaceAll(string(raw), operatorURL, followersURL)), 0o600))
	return path
}

// TestATimelineOutageNeverStopsAStep: the shared timeline's database (its
// own, as shared_timeline names it) refuses every connection while S1
// runs. S1 completes, the local journal has all of it, and once the
// database is back the next cockpit on the machine publishes every record
// exactly once, in order.
func TestATimelineOutageNeverStopsAStep(t *testing.T) {
	if testing.Short() {
		t.Skip("runs S1 on a rehearsal world")
	}
	t.Parallel()
	timelineDB := testsvc.Postgres(t)
	if err := sharedlog.Migrate(t.Context(), timelineDB); err != nil { // the owner's job, done first
		t.Fatal(err)
	}
	e := newE2EWorldDelay(t, cockpitBinary(t), time.Second, func(cfg string) string {
		return strings.Replace(cfg, "\n  staging:\n", "\n  staging:\n    shared_timeline: {url_env: TIMELINE_URL}\n", 1)
	})
	env := map[string]string{"DB_URL": e.dbURL, "TIMELINE_URL": timelineDB}
	admin := adminConn(t)
	name := databaseName(t, timelineDB)

	run := e.command(env, "run", "S1", "--env", "staging", "--approve", "S1")
	var out strings.Builder
	run.Stdout, run.Stderr = &out, &out
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, 50*time.Millisecond, "S1 approved in the local journal", func() bool {
		return hasApproval(e.timeline("staging"), "S1")
	})
	setConnections(t, admin, name, false) // the database goes away mid-step
	if err := run.Wait(); err != nil {
		t.Fatalf("S1 with the shared timeline down: %v\n%s", err, out.String())
	}
	local := e.timeline("staging")
	if last := local[len(local)-1]; last.Kind != journal.KindProgress || last.Message != "lock released" || !hasOutcome(local, "S1") {
		t.Fatalf("the local journal does not hold S1 to its end:\n%+v", local)
	}

	setConnections(t, admin, name, true) // back: the next cockpit publishes the backlog
	e.mustRunEnv(env, exitOK, "run", "P1", "--env", "staging", "--approve", "P1")
	local, err := journal.Read(journal.Path(filepath.Join(e.dir, "state"), "staging")) // every record, repeats too
	if err != nil {
		t.Fatal(err)
	}
	var shared []journal.Record
	eventually(t, 20*time.Second, 200*time.Millisecond, "every local record in the shared timeline", func() bool {
		recs, err := sharedlog.Read(t.Context(), timelineDB, "staging", sharedlog.Trust{})
		shared = recs
		return err == nil && len(recs) >= len(local)
	})
	if got, want := recordKeys(shared), recordKeys(local); got != want {
		t.Fatalf("the shared timeline after the outage:\n%s\nwant the local journal, each record once, in order:\n%s", got, want)
	}
}

func hasOutcome(recs []journal.Record, step string) bool {
	for _, r := range recs {
		if r.Kind == journal.KindOutcome && r.Step == step && r.Check == "" && r.OK != nil && *r.OK {
			return true
		}
	}
	return false
}

// recordKeys is one line per record: time, kind, step, check, message.
func recordKeys(recs []journal.Record) string {
	var b strings.Builder
	for _, r := range recs {
		fmt.Fprintf(&b, "%s %s %s %s %.40q\n", r.Time.UTC().Format(time.RFC3339Nano), r.Kind, r.Step, r.Check, r.Message)
	}
	return b.String()
}

// adminConn is a superuser connection to the test cluster.
func adminConn(t *testing.T) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), os.Getenv("COCKPIT_TEST_DB_URL"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func databaseName(t *testing.T, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(u.Path, "/")
}

// setConnections lets a database take connections, or refuses them and
// ends every session it has: to its clients, the database is gone.
func setConnections(t *testing.T, admin *pgx.Conn, name string, allow bool) {
	t.Helper()
	if _, err := admin.Exec(t.Context(), fmt.Sprintf("ALTER DATABASE %s ALLOW_CONNECTIONS %t", pgx.Identifier{name}.Sanitize(), allow)); err != nil {
		t.Fatal(err)
	}
	if !allow {
		if _, err := admin.Exec(t.Context(), "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", name); err != nil {
			t.Fatal(err)
		}
	}
}

// TestStagingDoneOnAnotherMachineOpensProductionsS4: the staging runbook
// runs on machine A; machine B (an empty state dir) is refused production's
// S4 when it cannot read staging's shared timeline, and runs it when it can.
func TestStagingDoneOnAnotherMachineOpensProductionsS4(t *testing.T) {
	if testing.Short() {
		t.Skip("runs staging's runbook and production's S4 on a rehearsal world")
	}
	t.Parallel()
	e := newE2EWorld(t, cockpitBinary(t), shortS4(t, func(cfg string) string { return "operator: alice\n" + cfg }))
	for _, item := range []string{"S1", "S2", "S3", "V2", "V3", "V4"} {
		e.mustRun(exitOK, "run", item, "--env", "staging", "--approve", item)
	}
	// Machine B lists alice's key (as `cockpit key` printed it on A).
	aliceKey := strings.TrimSpace(e.mustRun(exitOK, "key"))
	b := &e2eWorld{t: t, bin: e.bin, dir: e.dir, config: teamConfig(t, machineBConfig(t, e), aliceKey), dbURL: e.dbURL}
	s4 := []string{"run", "S4", "--env", "production", "--approve", "S4", "--confirm-env", "production"}

	blind := &e2eWorld{t: t, bin: e.bin, dir: e.dir, dbURL: e.dbURL, config: editedConfig(t, b.config, func(cfg string) string {
		return strings.Replace(cfg, "\n  staging:\n", "\n  staging:\n    shared_timeline: {url_env: COCKPIT_E2E_NO_TIMELINE}\n", 1)
	})}
	if _, errOut, code := blind.cockpit(s4...); code != exitNeedsApproval || !strings.Contains(errOut, "staging.done") {
		t.Fatalf("S4 on machine B without staging's shared timeline: exit %d, want 3 on the staging.done gate:\n%s", code, errOut)
	}
	if st := e.state("production"); len(st.Controls) != 0 {
		t.Fatalf("a refused S4 applied controls: %v", st.Controls)
	}
	b.mustRun(exitOK, s4...)
	if st := e.state("production"); st.CohortPercent != 100 || st.WriteTarget != "rust" {
		t.Fatalf("after S4 on machine B production is %+v", st)
	}
}

// editedConfig writes an edited copy of a config beside it.
func editedConfig(t *testing.T, path string, edit func(string) string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(filepath.Dir(path), "edited-"+filepath.Base(path))
	if err := os.WriteFile(out, []byte(edit(string(raw))), 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}
