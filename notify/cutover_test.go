package notify_test

import (
	"time"

	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/runbook"
)

var t0 = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

// scriptedCutover is a production cutover's journal as the executor and
// the engine write it (sub-step intents and outcomes, incidents named
// "I2 write_error_spike" with pending/firing/ok), with what each record
// should tell the team ("" for nothing).
func scriptedCutover() ([]journal.Record, []string) {
	yes, no := true, false
	rec := func(min int, r journal.Record) journal.Record {
		r.Time, r.Env, r.Operator, r.Host = t0.Add(time.Duration(min)*time.Minute), "prod", "alice", "ops1"
		return r
	}
	rb := runbook.RollbackID
	script := []struct {
		r    journal.Record
		want string
	}{
		{rec(0, journal.Record{Kind: journal.KindSession, Argv: []string{"cockpit", "tui"}}), ""},
		{rec(1, journal.Record{Kind: journal.KindIntent, Step: "S1", Check: "set_rust_write_mode", Message: "rust writes on"}), "action.started"},
		{rec(2, journal.Record{Kind: journal.KindOutcome, Step: "S1", Check: "set_rust_write_mode", OK: &yes, Message: "mode is dual"}), ""},
		{rec(2, journal.Record{Kind: journal.KindIntent, Step: "S1", Check: "write_probe"}), ""},
		{rec(3, journal.Record{Kind: journal.KindOutcome, Step: "S1", OK: &yes, Message: "S1 done: 2 sub-step(s) verified"}), "action.done"},
		{rec(4, journal.Record{Kind: journal.KindRefused, Step: "S3", Reason: "gates are not green"}), ""},
		{rec(5, journal.Record{Kind: journal.KindOverride, Step: "S3", Reason: "parity lag is the known replica delay (INC-42)"}), "override"},
		{rec(6, journal.Record{Kind: journal.KindVerdict, Check: "I2 write_error_spike", Verdict: "pending", Evidence: "write error rate 7.2% > 5% for 30s of 2m"}), "incident.pending"},
		{rec(7, journal.Record{Kind: journal.KindVerdict, Check: "S4", Verdict: "FAIL", Evidence: "not a criterion"}), ""},
		{rec(8, journal.Record{Kind: journal.KindVerdict, Check: "I2 write_error_spike", Verdict: "firing", Evidence: "write error rate 9.1% > 5% for 2m"}), "incident.firing"},
		{rec(8, journal.Record{Kind: journal.KindVerdict, Check: "W exactly_one_writer", Verdict: "ok"}), ""},
		{rec(9, journal.Record{Kind: journal.KindVerdict, Check: "I2 write_error_spike", Verdict: "unknown", Evidence: "prometheus down"}), ""},
		{rec(10, journal.Record{Kind: journal.KindVerdict, Check: "I2 write_error_spike", Verdict: "ok", Evidence: "write error rate 0.4% ≤ 5%"}), "incident.resolved"},
		{rec(11, journal.Record{Kind: journal.KindApproval, Step: rb, Message: "approved via tui"}), "rollback.started"},
		{rec(11, journal.Record{Kind: journal.KindIntent, Step: rb, Check: "R1 set_rust_write_mode"}), ""},
		{rec(12, journal.Record{Kind: journal.KindOutcome, Step: rb, Check: "R4 collect artifacts", OK: &yes}), ""},
		{rec(12, journal.Record{Kind: journal.KindOutcome, Step: rb, OK: &no,
			Message: "rollback ran to the end: R1 ok, R2 FAILED (legacy freeze still on), R3 ok, R4 ok"}), "rollback.done"},
	}
	var records []journal.Record
	var want []string
	for _, s := range script {
		records = append(records, s.r)
		want = append(want, s.want)
	}
	return records, want
}
