package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/internal/testsvc"
	"github.com/openagents/cockpit/runbook"
)

// TestAForgedFeedRowNeverTurnsAFollowerGreen is issue 14's defect 1 and 9
// with the real binary: I1 fires (a critical parity report) while an
// operating screen publishes its rounds and a watch --follow renders them.
// The operator leaves; a row dated 2099 holding an all-clear state is
// written straight into the feed (as any role that may publish can). The
// follower says the feed is refused "in the future (clock skew?)" where the
// feed's age was, observes on its own and still shows I1 FIRING, on its
// screen and its /metrics. A row dated now that breaks the wire's bounds is
// refused the same way. The operator comes back: its next real round wins
// and the follower follows it again.
func TestAForgedFeedRowNeverTurnsAFollowerGreen(t *testing.T) {
	if testing.Short() {
		t.Skip("drives an operating and a following screen in tmux")
	}
	tmux := toolBinary(t, "tmux", "screen", "apt-get install -y tmux")
	t.Parallel()
	bin := cockpitBinary(t)
	e := newE2EWorld(t, bin, nil)
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
		return incidentFiring(s) && strings.Contains(s, "following the shared feed")
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

	items := strings.TrimSuffix(strings.Repeat(`{"id":"P1"},`, 65), ",")
	forge(t, db, time.Now(), `{"format":"cockpit-state-json/v2","state":{"items":[`+items+`]}}`)
	f.waitFor("the follower refusing a row past the wire's bounds", 30*time.Second, func(s string) bool {
		return incidentFiring(s) && strings.Contains(s, "feed refused: decoding the observation: more than 64 items")
	})

	operate()
	f.waitFor("the follower following the operator's real rounds again", 30*time.Second, func(s string) bool {
		return incidentFiring(s) && strings.Contains(s, "following the shared feed")
	})
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

// forge writes the feed row of staging as a role that may publish can,
// straight with SQL.
func forge(t *testing.T, db *pgx.Conn, observedAt time.Time, state string) {
	t.Helper()
	if _, err := db.Exec(t.Context(), `UPDATE cockpit_observation SET observed_at = $1, state = $2 WHERE env = 'staging'`,
		observedAt, state); err != nil {
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
