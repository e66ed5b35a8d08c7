package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/internal/signing"
	"github.com/openagents/cockpit/internal/testsvc"
	"github.com/openagents/cockpit/runbook"
	"github.com/openagents/cockpit/sharedlog"
)

// TestAForgedFeedRowNeverTurnsAFollowerGreen is issue 14's defect 1 and 9
// with the real binary: I1 fires (a critical parity report) while alice's
// operating screen publishes its signed rounds and a watch --follow on
// another machine, listing her key in team_keys, renders them. The
// operator leaves; a row dated 2099 holding an all-clear state is written
// straight into the feed (as any role that may publish can). The follower
// says the feed is refused "in the future (clock skew?)" where the feed's
// age was, observes on its own and still shows I1 FIRING, on its screen
// and its /metrics. So it does for an all-clear dated now, written by SQL
// (unsigned) or signed by a key team_keys does not list: "feed
// unverified". Rows dated now that break the wire's bounds (bombs, signed
// by alice's own key: a teammate's key is no licence) are refused the same
// way, and cost the follower's peak RSS under 10 MB. The operator comes
// back: its next real round wins and the follower follows it again.
func TestAForgedFeedRowNeverTurnsAFollowerGreen(t *testing.T) {
	if testing.Short() {
		t.Skip("drives an operating and a following screen in tmux")
	}
	tmux := toolBinary(t, "tmux", "screen", "apt-get install -y tmux")
	t.Parallel()
	bin := cockpitBinary(t)
	e := newE2EWorld(t, bin, func(cfg string) string { return "operator: alice\n" + cfg })
	alice := trustAlice(t, e)
	e.ctl("staging", "fault", "critical-parity", "on")
	e.ctl("staging", "parity-run")
	operate := func() *tmuxScreen {
		op := newTmuxScreen(t, tmux, "env", "DB_URL="+e.dbURL, bin, "operate", "--config", e.config, "--env", "staging")
		op.waitFor("I1 firing on the operator's screen", 60*time.Second, incidentFiring)
		return op
	}
	op := operate()
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", testsvc.FreePort(t))
	f := newTmuxScreen(t, tmux, "env", "DB_URL="+e.dbURL, bin, "watch", "--follow", "--config", machineBConfig(t, e),
		"--env", "staging", "--metrics-addr", metricsAddr)
	f.waitFor("the follower rendering the operator's I1 firing", 60*time.Second, func(s string) bool {
		return incidentFiring(s) && strings.Contains(s, "following the shared feed") && strings.Contains(s, "signed by alice")
	})
	op.keys("q")
	op.waitExit()

	db, err := pgx.Connect(t.Context(), e.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close(t.Context()) })
	forged := time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)
	forge(t, db, forged, allClear(t, forged))
	f.waitFor("the follower refusing the 2099 row, observing I1 firing on its own", 30*time.Second, func(s string) bool {
		return incidentFiring(s) && strings.Contains(s, "feed refused: 2099-01-01 00:00:00 is in the future (clock skew?)")
	})
	if body := scrape(t, "http://"+metricsAddr+"/metrics"); !strings.Contains(body, `state="firing"} 1`) {
		t.Errorf("the follower's /metrics with a 2099 row show nothing firing:\n%s", body)
	}
	unverifiedAllClears(t, e, db, f, metricsAddr)

	pid := screenPID(t, f)
	before := peakRSS(t, pid)
	pool := newTestPool(t, e.dbURL)
	for _, bomb := range bombs() {
		if len(bomb.row) > sharedlog.MaxRecordBytes { // no cockpit publishes it: only SQL can
			forge(t, db, time.Now(), bomb.row)
		} else if err := sharedlog.PublishObservation(t.Context(), pool, "staging", time.Now(), []byte(bomb.row), time.Second, alice); err != nil {
			t.Fatalf("publishing %s signed by alice: %v", bomb.what, err)
		}
		f.waitFor("the follower refusing "+bomb.what, 30*time.Second, func(s string) bool {
			return incidentFiring(s) && strings.Contains(s, "feed refused: "+bomb.refusal)
		})
	}
	after := peakRSS(t, pid)
	t.Logf("the follower's peak RSS: %.1f MB before the bombs, %.1f MB after", float64(before)/(1<<20), float64(after)/(1<<20))
	if after-before > 10<<20 {
		t.Errorf("the bombs cost the follower %.1f MB of peak RSS, want < 10 MB", float64(after-before)/(1<<20))
	}

	operate()
	f.waitFor("the follower following the operator's real rounds again", 30*time.Second, func(s string) bool {
		return incidentFiring(s) && strings.Contains(s, "following the shared feed") && strings.Contains(s, "signed by alice")
	})
	var size, values int
	if err := db.QueryRow(t.Context(), `SELECT octet_length(state::text), octet_length(state::text) -
		octet_length(translate(state::text, ',[{', '')) FROM cockpit_observation WHERE env = 'staging'`).Scan(&size, &values); err != nil {
		t.Fatal(err)
	}
	t.Logf("a real round in the feed: %d bytes, about %d values (the wire's bounds: 512 KiB, 16384 values)", size, values)
}

// bomb is a hostile feed row and the refusal a follower shows for it.
type bomb struct{ what, row, refusal string }

// bombs are rows dated now that a follower must refuse at little cost: past
// a list's limit, "[{},{},…]" past the value budget, the gob format whose
// 2.9 KB row killed every follower, one over the database read's cap, deep
// nesting (PostgreSQL itself refuses jsonb nested 100000 deep).
func bombs() []bomb {
	state := func(s string) string { return `{"format":"cockpit-state-json/v2","state":` + s + `}` }
	values := fmt.Sprintf("more than %d values", 16<<10)
	return []bomb{
		{"65 items", state(`{"items":[` + strings.TrimSuffix(strings.Repeat(`{"id":"P1"},`, 65), ",") + `]}`),
			"decoding the observation: more than 64 items"},
		{"[{},{},…] of 300 KB", state(`{"items":[` + strings.TrimSuffix(strings.Repeat(`{},`, 100000), ",") + `]}`),
			"decoding the observation: " + values},
		{"a gob row", `{"format":"cockpit-state-gob/v1","state":"` + strings.Repeat("D/+BAwEBBHN0YXRl", 200) + `"}`,
			`decoding the observation: format "cockpit-state-gob`},
		{"a row over the read's cap", state(`{"env":"` + strings.Repeat("x", 1100<<10) + `"}`), "state is over 1048576 bytes"},
		{"nesting 2000 deep", state(`{"items":` + strings.Repeat("[", 2000) + strings.Repeat("]", 2000) + `}`),
			"decoding the observation: items: "},
	}
}

// screenPID is the process the tmux screen runs (the shell's child).
func screenPID(t *testing.T, s *tmuxScreen) int {
	t.Helper()
	shell := strings.TrimSpace(s.run("list-panes", "-t", "cockpit", "-F", "#{pane_pid}"))
	children, err := os.ReadFile("/proc/" + shell + "/task/" + shell + "/children")
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.Fields(string(children) + " x")[0])
	if err != nil {
		t.Fatalf("the screen's shell %s has no child: %q", shell, children)
	}
	return pid
}

// peakRSS is a process's peak resident set (VmHWM), in bytes.
func peakRSS(t *testing.T, pid int) int {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(status), "\n") {
		if f := strings.Fields(l); len(f) == 3 && f[0] == "VmHWM:" && f[2] == "kB" {
			kb, err := strconv.Atoi(f[1])
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no VmHWM in /proc/%d/status", pid)
	return 0
}

// incidentFiring holds when the screen's incident line shows I1 firing.
func incidentFiring(s string) bool {
	in := screenIncidents(s)
	return strings.Contains(in, "FIRING") && strings.Contains(in, "I1")
}

// allClear is a well-formed state of staging at `at` with every incident
// inactive and every item passing: what a forger wants followers to show.
func allClear(t *testing.T, at time.Time) string {
	t.Helper()
	st := runbook.State{Env: "staging", At: at}
	for _, it := range runbook.RunbookItems() {
		st.Items = append(st.Items, runbook.ItemStatus{Item: it, Verdict: checks.Pass})
	}
	for _, id := range []string{"I1", "I2", "I3"} {
		st.Incidents = append(st.Incidents, runbook.IncidentStatus{ID: id, Runbook: id, State: runbook.IncidentOK, At: at})
	}
	b, err := runbook.EncodeState(st)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// unverifiedAllClears writes an all-clear dated now into the feed, by SQL
// (unsigned) and then signed by a key that calls itself alice but is not
// the one team_keys lists: the follower says the feed is unverified and
// why, and shows I1 firing on its screen and its /metrics.
func unverifiedAllClears(t *testing.T, e *e2eWorld, db *pgx.Conn, f *tmuxScreen, metricsAddr string) {
	t.Helper()
	now := time.Now()
	forge(t, db, now, allClear(t, now))
	f.waitFor("the follower not rendering an unsigned all-clear", 30*time.Second, func(s string) bool {
		return incidentFiring(s) && strings.Contains(s, "feed unverified: unsigned")
	})
	mallory, err := signing.Load(t.TempDir(), "alice", true)
	if err != nil {
		t.Fatal(err)
	}
	now = time.Now()
	if err := sharedlog.PublishObservation(t.Context(), newTestPool(t, e.dbURL), "staging", now, []byte(allClear(t, now)), time.Second, mallory); err != nil {
		t.Fatal(err)
	}
	f.waitFor("the follower not rendering an all-clear signed by an unlisted key", 30*time.Second, func(s string) bool {
		return incidentFiring(s) && strings.Contains(s, "feed unverified: signed by a key not in team_keys")
	})
	if body := scrape(t, "http://"+metricsAddr+"/metrics"); !strings.Contains(body, `state="firing"} 1`) {
		t.Errorf("the follower's /metrics with an unverified all-clear show nothing firing:\n%s", body)
	}
}

// trustAlice makes alice's key (as `cockpit key` does on her machine) and
// lists it in team_keys of the world's config, which every machine of the
// test copies; it returns her key.
func trustAlice(t *testing.T, e *e2eWorld) *signing.Signer {
	t.Helper()
	key, _, code := e.cockpit("key")
	if code != 0 || !strings.HasPrefix(key, signing.Prefix) {
		t.Fatalf("cockpit key: exit %d: %q", code, key)
	}
	e.config = teamConfig(t, e.config, strings.TrimSpace(key))
	raw, err := os.ReadFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^state_dir: (.*)$`).FindSubmatch(raw)
	if m == nil {
		t.Fatalf("no state_dir in %s", e.config)
	}
	dir, err := strconv.Unquote(string(m[1]))
	if err != nil {
		dir = string(m[1])
	}
	alice, err := signing.Load(dir, "alice", false)
	if err != nil {
		t.Fatal(err)
	}
	return alice
}

// newTestPool is a pool on dbURL, closed with the test.
func newTestPool(t *testing.T, dbURL string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// forge writes the feed row of staging as a role that may publish can,
// straight with SQL: unsigned.
func forge(t *testing.T, db *pgx.Conn, observedAt time.Time, state string) {
	t.Helper()
	if _, err := db.Exec(t.Context(), `UPDATE cockpit_observation SET observed_at = $1, state = $2,
		operator = NULL, signing_key = NULL, signature = NULL WHERE env = 'staging'`, observedAt, state); err != nil {
		t.Fatalf("forging the feed row: %v", err)
	}
}

// scrape is the body of a GET that must answer 200.
func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scraping %s: %v", url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scraping %s: %d %v", url, resp.StatusCode, err)
	}
	return string(body)
}
