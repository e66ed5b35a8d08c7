package selfmetrics

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/runbook"
)

var t0 = time.Date(2026, 3, 1, 14, 0, 0, 0, time.UTC)

// fakeClock is the scrape-time clock; tests move it.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func item(id string, kind runbook.Kind, v checks.Verdict) runbook.ItemStatus {
	return runbook.ItemStatus{Item: &runbook.Item{ID: id, Kind: kind, Title: "title of " + id}, Verdict: v}
}

// midCutover is a staging round mid-way: P1 passes, S1 runs and its target
// state is not observed yet, V1 waits for S1, R1 was never run, an error
// spike is pending for 90s and the exactly-one-writer check fires.
func midCutover() runbook.State {
	s1 := item("S1", runbook.Step, checks.Fail)
	s1.Progress = runbook.StepProgress{State: runbook.Running, At: t0.Add(-time.Minute), Operator: "ana"}
	v1 := item("V1", runbook.Verification, checks.Pending)
	v1.Awaits = "S1"
	return runbook.State{
		Env: "staging",
		At:  t0,
		Items: []runbook.ItemStatus{
			item("P1", runbook.Precondition, checks.Pass), s1, v1,
			item("R1", runbook.Rollback, checks.Unknown), // progress never set: not run
		},
		Incidents: []runbook.IncidentStatus{
			{ID: "critical_parity_diffs", Runbook: "I1", State: runbook.IncidentOK},
			{ID: "write_error_spike", Runbook: "I2", State: runbook.IncidentPending, PendingFor: 90 * time.Second},
			{ID: "exactly_one_writer", Runbook: "W", State: runbook.IncidentFiring, PendingFor: 3 * time.Minute},
		},
	}
}

func newTestExporter() (*Exporter, *fakeClock) {
	c := &fakeClock{now: t0}
	return New("staging", WithClock(c.Now)), c
}

// scrape reads the handler as Prometheus would.
func scrape(t *testing.T, e *Exporter) string {
	t.Helper()
	srv := httptest.NewServer(e.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %d %v\n%s", resp.StatusCode, err, body)
	}
	return string(body)
}

// value is the sample of the series written exactly as series (name and
// labels) in a scrape; ok is false when the series is absent.
func value(t *testing.T, body, series string) (float64, bool) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			v, err := strconv.ParseFloat(rest, 64)
			if err != nil {
				t.Fatalf("%s: %v", sc.Text(), err)
			}
			return v, true
		}
	}
	return 0, false
}

func TestObserveExportsEveryVerdictOneHot(t *testing.T) {
	e, _ := newTestExporter()
	e.Observe(midCutover())
	srv := httptest.NewServer(e.Handler())
	defer srv.Close()

	want := `
# HELP cockpit_item_verdict Runbook item verdict, one-hot: 1 for the item's current verdict, 0 for the others (steps: whether their target state is observed; I1-I3 and W: their incident criteria).
# TYPE cockpit_item_verdict gauge
cockpit_item_verdict{env="staging",item="I1",verdict="FAIL"} 0
cockpit_item_verdict{env="staging",item="I1",verdict="PASS"} 1
cockpit_item_verdict{env="staging",item="I1",verdict="PENDING"} 0
cockpit_item_verdict{env="staging",item="I1",verdict="UNKNOWN"} 0
cockpit_item_verdict{env="staging",item="I1",verdict="WARN"} 0
cockpit_item_verdict{env="staging",item="I2",verdict="FAIL"} 0
cockpit_item_verdict{env="staging",item="I2",verdict="PASS"} 0
cockpit_item_verdict{env="staging",item="I2",verdict="PENDING"} 1
cockpit_item_verdict{env="staging",item="I2",verdict="UNKNOWN"} 0
cockpit_item_verdict{env="staging",item="I2",verdict="WARN"} 0
cockpit_item_verdict{env="staging",item="P1",verdict="FAIL"} 0
cockpit_item_verdict{env="staging",item="P1",verdict="PASS"} 1
cockpit_item_verdict{env="staging",item="P1",verdict="PENDING"} 0
cockpit_item_verdict{env="staging",item="P1",verdict="UNKNOWN"} 0
cockpit_item_verdict{env="staging",item="P1",verdict="WARN"} 0
cockpit_item_verdict{env="staging",item="R1",verdict="FAIL"} 0
cockpit_item_verdict{env="staging",item="R1",verdict="PASS"} 0
cockpit_item_verdict{env="staging",item="R1",verdict="PENDING"} 0
cockpit_item_verdict{env="staging",item="R1",verdict="UNKNOWN"} 1
cockpit_item_verdict{env="staging",item="R1",verdict="WARN"} 0
cockpit_item_verdict{env="staging",item="S1",verdict="FAIL"} 1
cockpit_item_verdict{env="staging",item="S1",verdict="PASS"} 0
cockpit_item_verdict{env="staging",item="S1",verdict="PENDING"} 0
cockpit_item_verdict{env="staging",item="S1",verdict="UNKNOWN"} 0
cockpit_item_verdict{env="staging",item="S1",verdict="WARN"} 0
cockpit_item_verdict{env="staging",item="V1",verdict="FAIL"} 0
cockpit_item_verdict{env="staging",item="V1",verdict="PASS"} 0
cockpit_item_verdict{env="staging",item="V1",verdict="PENDING"} 1
cockpit_item_verdict{env="staging",item="V1",verdict="UNKNOWN"} 0
cockpit_item_verdict{env="staging",item="V1",verdict="WARN"} 0
cockpit_item_verdict{env="staging",item="W",verdict="FAIL"} 1
cockpit_item_verdict{env="staging",item="W",verdict="PASS"} 0
cockpit_item_verdict{env="staging",item="W",verdict="PENDING"} 0
cockpit_item_verdict{env="staging",item="W",verdict="UNKNOWN"} 0
cockpit_item_verdict{env="staging",item="W",verdict="WARN"} 0
# HELP cockpit_item_progress Where a step or rollback item stands in the journal, one-hot: 1 for its current progress, 0 for the others.
# TYPE cockpit_item_progress gauge
cockpit_item_progress{env="staging",item="R1",progress="done"} 0
cockpit_item_progress{env="staging",item="R1",progress="failed"} 0
cockpit_item_progress{env="staging",item="R1",progress="interrupted"} 0
cockpit_item_progress{env="staging",item="R1",progress="not run"} 1
cockpit_item_progress{env="staging",item="R1",progress="queued"} 0
cockpit_item_progress{env="staging",item="R1",progress="running"} 0
cockpit_item_progress{env="staging",item="S1",progress="done"} 0
cockpit_item_progress{env="staging",item="S1",progress="failed"} 0
cockpit_item_progress{env="staging",item="S1",progress="interrupted"} 0
cockpit_item_progress{env="staging",item="S1",progress="not run"} 0
cockpit_item_progress{env="staging",item="S1",progress="queued"} 0
cockpit_item_progress{env="staging",item="S1",progress="running"} 1
# HELP cockpit_incident_state Incident criterion state, one-hot over inactive, pending, firing, unknown and n/a (a source that does not apply).
# TYPE cockpit_incident_state gauge
cockpit_incident_state{env="staging",incident="critical_parity_diffs",state="firing"} 0
cockpit_incident_state{env="staging",incident="critical_parity_diffs",state="n/a"} 0
cockpit_incident_state{env="staging",incident="critical_parity_diffs",state="inactive"} 1
cockpit_incident_state{env="staging",incident="critical_parity_diffs",state="pending"} 0
cockpit_incident_state{env="staging",incident="critical_parity_diffs",state="unknown"} 0
cockpit_incident_state{env="staging",incident="write_error_spike",state="firing"} 0
cockpit_incident_state{env="staging",incident="write_error_spike",state="n/a"} 0
cockpit_incident_state{env="staging",incident="write_error_spike",state="inactive"} 0
cockpit_incident_state{env="staging",incident="write_error_spike",state="pending"} 1
cockpit_incident_state{env="staging",incident="write_error_spike",state="unknown"} 0
cockpit_incident_state{env="staging",incident="exactly_one_writer",state="firing"} 1
cockpit_incident_state{env="staging",incident="exactly_one_writer",state="n/a"} 0
cockpit_incident_state{env="staging",incident="exactly_one_writer",state="inactive"} 0
cockpit_incident_state{env="staging",incident="exactly_one_writer",state="pending"} 0
cockpit_incident_state{env="staging",incident="exactly_one_writer",state="unknown"} 0
# HELP cockpit_incident_pending_seconds How long an incident criterion's condition has held, in seconds; 0 while it does not.
# TYPE cockpit_incident_pending_seconds gauge
cockpit_incident_pending_seconds{env="staging",incident="critical_parity_diffs"} 0
cockpit_incident_pending_seconds{env="staging",incident="write_error_spike"} 90
cockpit_incident_pending_seconds{env="staging",incident="exactly_one_writer"} 180
# HELP cockpit_observation_timestamp_seconds When the newest observation round was taken, in Unix seconds; absent before the first round.
# TYPE cockpit_observation_timestamp_seconds gauge
cockpit_observation_timestamp_seconds{env="staging"} 1.7723736e+09
# HELP cockpit_observe_rounds_total Observation rounds the cockpit evaluated.
# TYPE cockpit_observe_rounds_total counter
cockpit_observe_rounds_total{env="staging"} 1
`
	if err := testutil.ScrapeAndCompare(srv.URL, strings.NewReader(want),
		"cockpit_item_verdict", "cockpit_item_progress", "cockpit_incident_state",
		"cockpit_incident_pending_seconds", "cockpit_observation_timestamp_seconds",
		"cockpit_observe_rounds_total"); err != nil {
		t.Fatal(err)
	}
}

func TestAnItemThatLeavesTheStateLeavesTheScrape(t *testing.T) {
	e, _ := newTestExporter()
	e.Observe(midCutover())
	st := midCutover()
	st.Items = st.Items[:1]         // P1 only
	st.Incidents = st.Incidents[:1] // I1 only
	e.Observe(st)

	if n := testutil.CollectAndCount(e, "cockpit_item_verdict"); n != 2*5 {
		t.Errorf("cockpit_item_verdict has %d series, want 10 (P1 and I1, five verdicts each)", n)
	}
	if n := testutil.CollectAndCount(e, "cockpit_item_progress"); n != 0 {
		t.Errorf("cockpit_item_progress has %d series after the steps left, want 0", n)
	}
	if n := testutil.CollectAndCount(e, "cockpit_incident_state"); n != 5 {
		t.Errorf("cockpit_incident_state has %d series, want 5 (I1's: inactive, pending, firing, unknown, n/a)", n)
	}
	body := scrape(t, e)
	for _, gone := range []string{`item="S1"`, `item="W"`, `incident="exactly_one_writer"`} {
		if strings.Contains(body, gone) {
			t.Errorf("%s is still scraped after it left the state", gone)
		}
	}
	if v, _ := value(t, body, `cockpit_observe_rounds_total{env="staging"}`); v != 2 {
		t.Errorf("observe rounds = %v, want 2", v)
	}
}

func TestIncidentCriteriaOfOneItemFoldToTheWorst(t *testing.T) {
	e, _ := newTestExporter()
	e.Observe(runbook.State{At: t0, Incidents: []runbook.IncidentStatus{
		{ID: "error_rate", Runbook: "I2", State: runbook.IncidentOK},
		{ID: "error_burst", Runbook: "I2", State: runbook.IncidentUnknown},
	}})
	body := scrape(t, e)
	if v, _ := value(t, body, `cockpit_item_verdict{env="staging",item="I2",verdict="UNKNOWN"}`); v != 1 {
		t.Errorf("I2 with one unknown criterion is not UNKNOWN:\n%s", body)
	}
	for _, id := range []string{"error_rate", "error_burst"} {
		if _, ok := value(t, body, `cockpit_incident_state{env="staging",incident="`+id+`",state="unknown"}`); !ok {
			t.Errorf("criterion %s not scraped on its own", id)
		}
	}
}

func TestObservationAgeGrowsAtScrapeTime(t *testing.T) {
	e, clock := newTestExporter()
	if body := scrape(t, e); strings.Contains(body, "cockpit_observation_age_seconds{") {
		t.Fatalf("an age is scraped before the first round:\n%s", body)
	}
	st := midCutover()
	st.At = t0.Add(-5 * time.Second)
	e.Observe(st)
	const age = `cockpit_observation_age_seconds{env="staging"}`
	if v, _ := value(t, scrape(t, e), age); v != 5 {
		t.Errorf("age = %v, want 5", v)
	}
	clock.Advance(90 * time.Second) // no new round: the cockpit stopped observing
	if v, _ := value(t, scrape(t, e), age); v != 95 {
		t.Errorf("age = %v after 90s without a round, want 95", v)
	}
	st.At = time.Time{} // a round without a time does not pretend to be fresh
	e.Observe(st)
	if v, _ := value(t, scrape(t, e), age); v != 95 {
		t.Errorf("age = %v after a round without a time, want 95", v)
	}
	st.At = clock.Now()
	e.Observe(st)
	if v, _ := value(t, scrape(t, e), age); v != 0 {
		t.Errorf("age = %v right after a round, want 0", v)
	}
	clock.Advance(-time.Minute) // a clock stepped back never reads a negative age
	if v, _ := value(t, scrape(t, e), age); v != 0 {
		t.Errorf("age = %v with the clock stepped back, want 0", v)
	}
}

func TestActionInProgressWhileItRuns(t *testing.T) {
	e, _ := newTestExporter()
	const running = `cockpit_action_in_progress{action="S2",env="staging"}`
	const started = `cockpit_action_started_timestamp_seconds{action="S2",env="staging"}`
	if _, ok := value(t, scrape(t, e), running); ok {
		t.Fatal("an action never started is scraped")
	}
	e.ActionStarted("S2", t0.Add(-30*time.Second))
	body := scrape(t, e)
	if v, _ := value(t, body, running); v != 1 {
		t.Errorf("in progress = %v while S2 runs, want 1", v)
	}
	if v, _ := value(t, body, started); v != float64(t0.Unix()-30) {
		t.Errorf("started = %v, want %d", v, t0.Unix()-30)
	}
	e.ActionEnded("S2")
	body = scrape(t, e)
	if v, ok := value(t, body, running); !ok || v != 0 {
		t.Errorf("in progress = %v (present %t) after S2 ended, want 0", v, ok)
	}
	if _, ok := value(t, body, started); ok {
		t.Error("a start time is scraped for an action that ended")
	}
	e.ActionEnded("S9") // never started: nothing to end, nothing exported
	if _, ok := value(t, scrape(t, e), `cockpit_action_in_progress{action="S9",env="staging"}`); ok {
		t.Error("ending an action never started exports it")
	}
	e.ActionStarted("R", time.Time{}) // no start time: now
	if v, _ := value(t, scrape(t, e), `cockpit_action_started_timestamp_seconds{action="R",env="staging"}`); v != float64(t0.Unix()) {
		t.Errorf("started = %v for an action started without a time, want now (%d)", v, t0.Unix())
	}
}

func TestNotificationFailuresCountByTargetWithoutSecrets(t *testing.T) {
	e, _ := newTestExporter()
	e.NotificationFailed("slack")
	e.NotificationFailed("slack")
	e.NotificationFailed("https://user:pw@hooks.example.com/services/T0/B0/SECRET?token=x")
	e.NotificationFailed("")
	want := `
# HELP cockpit_notification_failures_total Notifications the cockpit failed to deliver, by target.
# TYPE cockpit_notification_failures_total counter
cockpit_notification_failures_total{env="staging",target="hooks.example.com"} 1
cockpit_notification_failures_total{env="staging",target="other"} 1
cockpit_notification_failures_total{env="staging",target="slack"} 2
`
	if err := testutil.GatherAndCompare(e.reg, strings.NewReader(want), "cockpit_notification_failures_total"); err != nil {
		t.Fatal(err)
	}
	if body := scrape(t, e); strings.Contains(body, "SECRET") || strings.Contains(body, "pw") {
		t.Errorf("a webhook secret reached the scrape:\n%s", body)
	}
}

func TestHostileLabelsAreCleanedAndSeriesBounded(t *testing.T) {
	e, _ := newTestExporter()
	st := runbook.State{At: t0}
	hostile := "P1\x1b]8;;http://evil\x07\x1b[2J" + strings.Repeat("x", 10_000)
	st.Items = append(st.Items, item(hostile, runbook.Precondition, checks.Pass))
	for i := range 1000 {
		st.Items = append(st.Items, item(fmt.Sprintf("X%d", i), runbook.Precondition, checks.Pass))
	}
	for i := range 1000 {
		st.Incidents = append(st.Incidents, runbook.IncidentStatus{ID: fmt.Sprintf("c%d", i), Runbook: fmt.Sprintf("J%d", i)})
	}
	e.Observe(st)
	for i := range 1000 {
		e.ActionStarted(fmt.Sprintf("A%d", i), t0)
		e.NotificationFailed(fmt.Sprintf("t%d", i))
	}
	body := scrape(t, e)
	if strings.ContainsAny(body, "\x1b\x07") {
		t.Error("an escape sequence reached the scrape")
	}
	if len(body) > 1<<20 {
		t.Errorf("scrape is %d bytes for a hostile state", len(body))
	}
	for name, want := range map[string]int{
		"cockpit_item_verdict":                maxSeries * 5,
		"cockpit_incident_state":              maxSeries * 5,
		"cockpit_action_in_progress":          maxSeries,
		"cockpit_notification_failures_total": maxSeries,
	} {
		if n := testutil.CollectAndCount(e, name); n != want {
			t.Errorf("%s has %d series, want the bound %d", name, n, want)
		}
	}
	if v, _ := value(t, body, `cockpit_notification_failures_total{env="staging",target="other"}`); v != 1000-(maxSeries-1) {
		t.Errorf("failures past the bound = %v, want %d counted as other", v, 1000-(maxSeries-1))
	}
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, `cockpit_item_verdict{env="staging",item="P1`) {
			if n := len([]rune(line)); n > 200 {
				t.Errorf("hostile item label not bounded: %d runes", n)
			}
		}
	}
}

// TestPromtoolAcceptsTheScrape runs the real promtool linter over a full
// round, every family present. Under CI=true a missing promtool fails.
func TestPromtoolAcceptsTheScrape(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("promtool is required under CI=true: %v", err)
		}
		t.Skipf("promtool not installed: %v", err)
	}
	e, _ := newTestExporter()
	e.Observe(fullRound(checks.Pass))
	e.ActionStarted("S1", t0)
	e.ActionStarted("S2", t0)
	e.ActionEnded("S2")
	e.NotificationFailed("slack")
	body := scrape(t, e)
	for _, name := range []string{"cockpit_item_verdict", "cockpit_item_progress", "cockpit_incident_state",
		"cockpit_incident_pending_seconds", "cockpit_action_in_progress", "cockpit_action_started_timestamp_seconds",
		"cockpit_observation_timestamp_seconds", "cockpit_observation_age_seconds",
		"cockpit_notification_failures_total", "cockpit_observe_rounds_total"} {
		if !strings.Contains(body, "# TYPE "+name+" ") {
			t.Errorf("%s missing from the scrape promtool checks", name)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil || out.Len() > 0 {
		t.Fatalf("promtool check metrics: %v\n%s", err, out.String())
	}
}

// fullRound is every runbook item, each with the verdict v, and every
// incident criterion, as the engine builds a round.
func fullRound(v checks.Verdict) runbook.State {
	st := runbook.State{Env: "staging", At: t0}
	for _, it := range runbook.RunbookItems() {
		if it.Kind != runbook.Incident {
			st.Items = append(st.Items, runbook.ItemStatus{Item: it, Verdict: v,
				Progress: runbook.StepProgress{State: runbook.Done}})
		}
	}
	st.Incidents = []runbook.IncidentStatus{
		{ID: "critical_parity_diffs", Runbook: "I1", State: runbook.IncidentOK},
		{ID: "write_error_spike", Runbook: "I2", State: runbook.IncidentPending, PendingFor: time.Minute},
		{ID: "drift", Runbook: "I3", State: runbook.IncidentUnknown},
		{ID: runbook.WritersID, Runbook: "W", State: runbook.IncidentOK},
	}
	return st
}

func TestServeOnAFreePortUntilCancelled(t *testing.T) {
	e, _ := newTestExporter()
	e.Observe(midCutover())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, err := e.Serve(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `cockpit_observe_rounds_total{env="staging"} 1`) {
		t.Fatalf("GET /metrics: %d\n%s", resp.StatusCode, body)
	}

	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		client.CloseIdleConnections()
		resp, err := client.Get("http://" + addr + "/metrics")
		if err != nil {
			break
		}
		resp.Body.Close()
		if time.Now().After(deadline) {
			t.Fatal("still serving 5s after the context ended")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestServeReportsAnAddressItCannotBind(t *testing.T) {
	e, _ := newTestExporter()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, err := e.Serve(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Serve(ctx, addr); err == nil || !strings.Contains(err.Error(), "serving metrics") {
		t.Fatalf("second Serve on the bound %s: %v, want an error", addr, err)
	}
}

func TestConcurrentRoundsAndScrapes(t *testing.T) {
	e, _ := newTestExporter()
	srv := httptest.NewServer(e.Handler())
	defer srv.Close()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 50 {
				e.Observe(fullRound([]checks.Verdict{checks.Pass, checks.Fail}[(i+j)%2]))
				e.ActionStarted("S1", t0)
				e.ActionEnded("S1")
				e.NotificationFailed(fmt.Sprintf("t%d", i))
			}
		})
	}
	for range 20 {
		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		// one round is read whole: never two verdicts of one item at once
		if hot := oneHotSum(t, string(body), `cockpit_item_verdict{env="staging",item="P1",`); hot != 1 && strings.Contains(string(body), `item="P1"`) {
			t.Fatalf("P1 has %v verdicts set at once", hot)
		}
	}
	wg.Wait()
	if v, _ := value(t, scrape(t, e), `cockpit_observe_rounds_total{env="staging"}`); v != 200 {
		t.Errorf("rounds = %v, want 200", v)
	}
}

func oneHotSum(t *testing.T, body, prefix string) float64 {
	t.Helper()
	var sum float64
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, prefix) {
			f := strings.Fields(line)
			v, err := strconv.ParseFloat(f[len(f)-1], 64)
			if err != nil {
				t.Fatal(err)
			}
			sum += v
		}
	}
	return sum
}

func BenchmarkObserve(b *testing.B) {
	e := New("staging")
	st := fullRound(checks.Pass)
	b.ReportAllocs()
	for b.Loop() {
		e.Observe(st)
	}
}
