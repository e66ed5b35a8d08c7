package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/openagents/cockpit/executor"
	"github.com/openagents/cockpit/factory"
	"github.com/openagents/cockpit/runbook"
)

// leftBehind is what the screen left when it closed: the action in flight
// (factory.Inflight).
type leftBehind interface {
	Running() (id string, stopped bool)
	Wait() factory.Ended
	Left() string
}

// finish waits, once the screen is gone, for the action it left in flight
// and says how that action ended; an action the screen stopped (q then y)
// is said too. A step that finished exits by its outcome, as `run` would
// (a check by its verdict), saying so; a writing step that stopped mid-way
// exits 5 saying what it left; a rollback exits 6 when it rolled back.
// Nothing in flight or stopped: nil.
func finish(errOut io.Writer, a leftBehind) error {
	running, stopped := a.Running()
	switch {
	case running == runbook.RollbackID:
		fmt.Fprintln(errOut, "cockpit: the screen closed during the rollback: it runs to its end (a second signal aborts it); progress in the journal and the log")
	case running != "":
		fmt.Fprintf(errOut, "cockpit: the screen closed during %s: stopping it at its next safe point\n", running)
	case !stopped:
		return nil
	}
	e := a.Wait()
	out := e.Outcome
	switch {
	case e.ID == runbook.RollbackID && e.Err == nil && out.OK:
		fmt.Fprintln(errOut, "cockpit: "+out.Message)
		return silentExit(exitRolledBack)
	case e.ID == runbook.RollbackID && e.Err != nil:
		return actingError(e.Err)
	case e.ID == runbook.RollbackID:
		return withCode(exitActionFailed, fmt.Errorf("%s", out.Message))
	case e.Err == nil && (out.OK || !e.Writes):
		fmt.Fprintf(errOut, "cockpit: %s finished after the screen closed: %s\n", e.ID, executor.FirstLine(out.Message))
		return stepExit(e.Writes, out)
	}
	return stoppedMidway(e, a.Left())
}

// stoppedMidway is the exit error of a forward action the screen stopped:
// how it ended and what the world shows now, with what to do.
func stoppedMidway(e factory.Ended, left string) error {
	const format = "%s stopped mid-way when the screen closed (%w); it leaves: %s; nothing was undone: roll back (cockpit rollback) or run %s again"
	if e.Err != nil {
		return actingError(fmt.Errorf(format, e.ID, e.Err, left, e.ID))
	}
	return withCode(exitActionFailed, fmt.Errorf(format, e.ID, errors.New(headline(e.Outcome.Message)), left, e.ID))
}

// headline is an outcome's words before its evidence ("S1 interrupted at
// route_writes=rust (context canceled)"): the journal keeps the rest.
func headline(msg string) string {
	head, _, _ := strings.Cut(executor.FirstLine(msg), ": ")
	return strings.TrimSpace(head)
}
