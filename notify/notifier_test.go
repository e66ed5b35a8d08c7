package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/notify"
)

func TestScriptedCutoverReachesEachTargetInOrder(t *testing.T) {
	slack, pager := newReceiver(t), newReceiver(t)
	fails := newFailureLog()
	pagerEvents := []string{notify.KindActionFailed, notify.KindRollbackStarted, notify.KindRollbackDone, notify.KindIncidentFiring, notify.KindLockReleased}
	n, err := notify.New(notify.Config{Targets: []notify.Target{
		{Name: "ops-slack", URL: slack.url(), Format: notify.FormatSlack, Events: notify.Kinds()},
		{Name: "pager", URL: pager.url(), Format: notify.FormatJSON, Events: pagerEvents},
	}}, notify.Options{OnFailure: fails.add, Now: func() time.Time { return t0.Add(time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	n.Notify(notify.LockTaken("prod", "alice", "alice@ops1 pid 4242 for S1"))
	records, _ := scriptedCutover()
	for _, r := range records {
		n.Record(r)
	}
	n.Notify(notify.LockReleased("prod", "alice", "alice@ops1 pid 4242"))
	closeWithin(t, n, 5*time.Second)

	wantSlack := []string{
		"[prod] lock taken by alice (alice@ops1 pid 4242 for S1)",
		"[prod] S1 started by alice",
		"[prod] S1 done by alice — S1 done: 2 sub-step(s) verified",
		"[prod] alice overrode the gates of S3: parity lag is the known replica delay (INC-42)",
		"[prod] incident I2 write_error_spike pending — write error rate 7.2% &gt; 5% for 30s of 2m",
		"[prod] incident I2 write_error_spike FIRING — write error rate 9.1% &gt; 5% for 2m",
		"[prod] incident I2 write_error_spike resolved — write error rate 0.4% ≤ 5%",
		"[prod] ROLLBACK started by alice",
		"[prod] rollback FAILED (alice) — rollback ran to the end: R1 ok, R2 FAILED (legacy freeze still on), R3 ok, R4 ok",
		"[prod] lock released by alice (alice@ops1 pid 4242)",
	}
	var gotSlack []string
	for _, b := range slack.got() {
		var body map[string]string
		if err := json.Unmarshal([]byte(b), &body); err != nil || len(body) != 1 {
			t.Fatalf("slack body %s is not {\"text\": ...} (%v)", b, err)
		}
		gotSlack = append(gotSlack, body["text"])
	}
	if !slices.Equal(gotSlack, wantSlack) {
		t.Errorf("slack got\n%s\nwant\n%s", strings.Join(gotSlack, "\n"), strings.Join(wantSlack, "\n"))
	}

	var gotKinds []string
	for _, b := range pager.got() {
		var body map[string]any
		if err := json.Unmarshal([]byte(b), &body); err != nil {
			t.Fatal(err)
		}
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range body {
				if !yield(k) {
					return
				}
			}
		})
		if want := "at check env host kind message operator reason step text verdict"; strings.Join(keys, " ") != want {
			t.Errorf("json body has %v, want %s", keys, want)
		}
		gotKinds = append(gotKinds, body["kind"].(string))
		if body["kind"] == notify.KindIncidentFiring {
			want := map[string]any{"env": "prod", "host": "ops1", "check": "I2 write_error_spike", "verdict": "firing",
				"at": "2026-03-14T09:08:00Z", "text": "[prod] incident I2 write_error_spike FIRING — write error rate 9.1% > 5% for 2m"}
			for k, v := range want {
				if body[k] != v {
					t.Errorf("json %s = %v, want %v", k, body[k], v)
				}
			}
		}
		if body["kind"] == notify.KindLockReleased && body["at"] != "2026-03-14T10:00:00Z" {
			t.Errorf("lock.released at %v, want the Notifier's now", body["at"])
		}
	}
	if want := []string{notify.KindIncidentFiring, notify.KindRollbackStarted, notify.KindRollbackDone, notify.KindLockReleased}; !slices.Equal(gotKinds, want) {
		t.Errorf("pager (subscribed to %v) got %v, want %v", pagerEvents, gotKinds, want)
	}
	if f := fails.got(); len(f) > 0 || n.Failures()["ops-slack"]+n.Failures()["pager"] != 0 {
		t.Errorf("failures %v, counted %v", f, n.Failures())
	}
}

func TestHangingTargetDelaysOnlyItself(t *testing.T) {
	hangURL, arrived := hangingReceiver(t)
	fast := newReceiver(t)
	fails := newFailureLog()
	// Long enough that a busy machine's scheduling never reaches it: what
	// happens before it is what the hanging target did not delay.
	const timeout = 5 * time.Second
	n, err := notify.New(notify.Config{Targets: []notify.Target{
		{Name: "hang", URL: hangURL, Format: notify.FormatSlack, Events: []string{notify.KindActionStarted}, Timeout: timeout},
		{Name: "fast", URL: fast.url(), Format: notify.FormatJSON, Events: notify.Kinds()},
	}}, notify.Options{OnFailure: fails.add, Retry: notify.Retry{Attempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer closeWithin(t, n, 10*time.Second)

	start := time.Now()
	records, want := scriptedCutover()
	for _, r := range records {
		n.Record(r)
	}
	events := len(slices.DeleteFunc(want, func(k string) bool { return k == "" }))
	for range 50 {
		n.Notify(notify.LockTaken("prod", "alice", "again"))
	}
	if took := time.Since(start); took >= timeout {
		t.Errorf("%d records and 50 Notify calls took %s with a hanging target, want them back before its %s timeout", len(records), took, timeout)
	}
	<-arrived

	fast.waitBodies(t, events+50, timeout)
	if took := time.Since(start); took >= timeout {
		t.Errorf("the fast target got its messages after %s, not before the hanging one's %s timeout", took, timeout)
	}

	f := fails.wait(t, 6*timeout)
	if f.target != "hang" || f.event.Kind != notify.KindActionStarted {
		t.Fatalf("first failure %+v, want hang's action.started", f)
	}
	if waited := f.at.Sub(start); waited < timeout {
		t.Errorf("failure reported after %s, before the %s timeout", waited, timeout)
	}
	if !strings.HasSuffix(f.err.Error(), "(1 attempt(s)): no answer within 5s") {
		t.Errorf("failure %q does not say it timed out once", f.err)
	}
	assertNoSecret(t, "OnFailure error", f.err.Error())
	if got := n.Failures(); got["fast"] != 0 || got["hang"] != 1 {
		t.Errorf("failures %v: want hang's one, none for fast", got)
	}
}

func TestFullQueueDropsTheOldest(t *testing.T) {
	hangURL, arrived := hangingReceiver(t)
	fails := newFailureLog()
	n, err := notify.New(notify.Config{Targets: []notify.Target{
		{Name: "hang", URL: hangURL, Format: notify.FormatSlack, Events: []string{notify.KindLockTaken}, Timeout: 200 * time.Millisecond},
	}, QueueSize: 1}, notify.Options{OnFailure: fails.add, Retry: notify.Retry{Attempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	n.Notify(notify.LockTaken("prod", "alice", "1"))
	<-arrived // 1 is in flight: 2, 3 and 4 wait in a queue of one
	for _, m := range []string{"2", "3", "4"} {
		n.Notify(notify.LockTaken("prod", "alice", m))
	}
	if got := n.Failures()["hang"]; got != 2 {
		t.Errorf("counted %d failures at once, want the 2 dropped", got)
	}
	closeWithin(t, n, 5*time.Second)

	var got []string
	for _, f := range fails.got() {
		dropped := errors.Is(f.err, notify.ErrQueueFull)
		got = append(got, f.event.Message+map[bool]string{true: " dropped", false: " timed out"}[dropped])
	}
	if want := []string{"1 timed out", "2 dropped", "3 dropped", "4 timed out"}; !slices.Equal(got, want) {
		t.Errorf("failures %v, want %v", got, want)
	}
	if got := n.Failures()["hang"]; got != 4 {
		t.Errorf("counted %d failures, want 4", got)
	}
}

func TestCloseGivesUpAtItsDeadline(t *testing.T) {
	hangURL, arrived := hangingReceiver(t)
	fails := newFailureLog()
	n, err := notify.New(notify.Config{Targets: []notify.Target{
		{Name: "hang", URL: hangURL, Format: notify.FormatJSON, Events: []string{notify.KindLockTaken}, Timeout: time.Minute},
	}}, notify.Options{OnFailure: fails.add, Now: func() time.Time { return t0.Add(time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	n.Notify(notify.LockTaken("prod", "alice", "1"))
	n.Notify(notify.LockTaken("prod", "alice", "2"))
	<-arrived

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = n.Close(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close = %v, want the deadline", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Close took %s past a 100ms deadline", took)
	}
	got := fails.got()
	if len(got) != 2 {
		t.Fatalf("OnFailure heard of %d events, want both", len(got))
	}
	for _, f := range got {
		if !strings.Contains(f.err.Error(), "not sent before the notifier closed: context deadline exceeded") {
			t.Errorf("failure of %s: %v", f.event.Message, f.err)
		}
	}
	n.Notify(notify.LockTaken("prod", "alice", "after close"))
	if c := n.Failures()["hang"]; c != 3 || len(fails.got()) != 2 {
		t.Errorf("an event after Close: %d failures counted, %d reported; want 3 counted, none reported", c, len(fails.got())-2)
	}
}

func TestServerErrorIsRetried(t *testing.T) {
	r := newReceiver(t, 500)
	fails := newFailureLog()
	n, err := notify.New(notify.Config{Targets: []notify.Target{
		{Name: "flaky", URL: r.url(), Format: notify.FormatSlack, Events: []string{notify.KindOverride}},
	}}, notify.Options{OnFailure: fails.add, Retry: notify.Retry{Attempts: 3, Wait: 10 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	n.Notify(notify.Event{Kind: notify.KindOverride, Env: "prod", Operator: "bob", Step: "S4", Reason: "soak done by hand"})
	closeWithin(t, n, 5*time.Second)
	if got := r.got(); r.requests != 2 || len(got) != 1 || !strings.Contains(got[0], "bob overrode the gates of S4: soak done by hand") {
		t.Errorf("%d requests, accepted %v; want the message on the second attempt", r.requests, got)
	}
	if f := fails.got(); len(f) > 0 || n.Failures()["flaky"] != 0 {
		t.Errorf("a delivered message failed: %v", f)
	}
}

func TestRefusalsAndErrorsNeverShowTheURLsSecret(t *testing.T) {
	refusing := newReceiver(t, 404)
	gone := newReceiver(t)
	goneURL := gone.url()
	gone.srv.Close()
	fails := newFailureLog()
	var logs bytes.Buffer
	n, err := notify.New(notify.Config{Targets: []notify.Target{
		{Name: "refusing", URL: refusing.url(), Format: notify.FormatSlack, Events: []string{notify.KindActionFailed}},
		{Name: "gone", URL: goneURL, Format: notify.FormatJSON, Events: []string{notify.KindActionFailed}},
	}}, notify.Options{OnFailure: fails.add, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Retry: notify.Retry{Attempts: 2, Wait: 10 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	n.Notify(notify.Event{Kind: notify.KindActionFailed, Step: "S2"})
	closeWithin(t, n, 5*time.Second)

	got := map[string]string{}
	for _, f := range fails.got() {
		got[f.target] = f.err.Error()
		assertNoSecret(t, "OnFailure error of "+f.target, f.err.Error())
	}
	if refusing.requests != 1 {
		t.Errorf("a 404 was tried %d times, want once (it will not pass on a retry)", refusing.requests)
	}
	if want := "posting action.failed to " + refusing.srv.URL + "/[REDACTED] (1 attempt(s)): answered 404 Not Found: no such hook [REDACTED]?[REDACTED]"; got["refusing"] != want {
		t.Errorf("refusing: %q\nwant       %q", got["refusing"], want)
	}
	if !strings.Contains(got["gone"], "(2 attempt(s)): dial tcp") || !strings.HasSuffix(got["gone"], "connection refused") {
		t.Errorf("gone: %q, want two refused connections, said once", got["gone"])
	}
	assertNoSecret(t, "log", logs.String())
	if !strings.Contains(logs.String(), "retrying") {
		t.Errorf("the retry was not logged:\n%s", logs.String())
	}
}

func TestHostileValuesArriveAsPlainText(t *testing.T) {
	slack, hook := newReceiver(t), newReceiver(t)
	n, err := notify.New(notify.Config{Targets: []notify.Target{
		{Name: "slack", URL: slack.url(), Format: notify.FormatSlack, Events: []string{notify.KindActionFailed}},
		{Name: "hook", URL: hook.url(), Format: notify.FormatJSON, Events: []string{notify.KindActionFailed},
			Template: "{{.Operator}} on {{.Step}}: {{.Message}}"},
	}}, notify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	n.Notify(notify.Event{Kind: notify.KindActionFailed, Env: "prod", Step: "S2\x1b[2J", Operator: "mallory\u202e",
		Message: "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07 \x1b[31mred\x1b[0m\r\nsecond <!channel> \u009b31m\x00"})
	closeWithin(t, n, 5*time.Second)

	var s struct{ Text string }
	if err := json.Unmarshal([]byte(slack.got()[0]), &s); err != nil {
		t.Fatal(err)
	}
	var j struct{ Message, Text string }
	if err := json.Unmarshal([]byte(hook.got()[0]), &j); err != nil {
		t.Fatal(err)
	}
	for what, text := range map[string]string{"slack text": s.Text, "json message": j.Message, "json text": j.Text} {
		for _, r := range text {
			if r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == '\u202e' {
				t.Errorf("%s %q holds control %U", what, text, r)
			}
		}
		if strings.Contains(text, "evil.example") {
			t.Errorf("%s %q keeps the hidden link target", what, text)
		}
	}
	if want := "[prod] S2 FAILED (mallory) — click red⏎second &lt;!channel&gt; "; s.Text != want {
		t.Errorf("slack text %q, want %q", s.Text, want)
	}
	if want := "mallory on S2: click red⏎second <!channel> "; j.Text != want {
		t.Errorf("json text %q, want %q", j.Text, want)
	}
}
