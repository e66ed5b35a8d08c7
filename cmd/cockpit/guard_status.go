package main

import (
	"fmt"
	"os"
	"time"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/executor/guard"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/output/scripted"
	"github.com/openagents/cockpit/runbook"
)

// guardStatusOf reads the guard's state from the journal: its newest
// state record, and whether the process that wrote it still runs (a
// guard on another host is believed while it journals).
func guardStatusOf(cfg *config.Config, env *config.Environment, now time.Time) scripted.GuardStatus {
	gs := scripted.GuardStatus{Mode: env.Guard.Mode, Countdown: env.Guard.Countdown.String(), State: "off"}
	var last journal.Record
	_, _ = journal.NewTail(journal.Path(cfg.StateDir, env.Name)).Each(func(r journal.Record) error {
		if r.Kind == journal.KindGuard && r.Verdict != guardCancel && r.Verdict != guardCancelVoid && r.Trusted() {
			last = r
		}
		return nil
	})
	if last.Verdict == "" || last.Verdict == guardStopped {
		return gs
	}
	host, _ := os.Hostname()
	gs.Process = fmt.Sprintf("%s@%s pid %d", last.Operator, last.Host, last.PID)
	if last.Host == host && !(runbook.OpenAction{Host: last.Host, PID: last.PID}).Alive(host, now, 0) {
		gs.Process += " (gone)"
		return gs
	}
	gs.State, gs.Criterion, gs.Line, gs.Reason, gs.Since = last.Verdict, last.Check, last.Message, last.Reason, last.Time
	if last.Verdict == guardStarted {
		gs.State = guard.Idle.String()
	}
	if last.Verdict == guard.Countdown.String() {
		left := env.Guard.Countdown.D() - now.Sub(last.Time)
		gs.RemainingSeconds = int((max(left, 0) + time.Second - 1) / time.Second)
	}
	return gs
}
