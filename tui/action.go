package tui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/openagents/cockpit/executor"
)

// planMsg is the executor's plan for an action, to be confirmed.
type planMsg struct {
	ID   string
	Plan executor.Plan
	Err  error
}

// progressMsg is one progress report from the running action.
type progressMsg struct{ Progress executor.Progress }

// progressClosedMsg says the action will report no more progress.
type progressClosedMsg struct{}

// outcomeMsg is how the running action ended.
type outcomeMsg struct {
	Outcome executor.Outcome
	Err     error
}

// forceQuitMsg ends the program when an abandoned action does not return in time.
type forceQuitMsg struct{}

// abandonGrace is how long quitting waits for an abandoned action to return
// its outcome (which the executor journals) before leaving anyway.
const abandonGrace = 10 * time.Second

// runningAction is the one action in progress. Its progress arrives over a
// channel read by a tea.Cmd, so no goroutine ever touches the model.
type runningAction struct {
	id         string
	started    time.Time
	cancel     context.CancelFunc
	progress   chan executor.Progress
	last       executor.Progress
	seen       bool
	abandoning bool
}

// planCmd asks the executor for an action's plan under a timeout.
func planCmd(base context.Context, actor Actor, id string, timeout time.Duration) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(base, timeout)
		defer cancel()
		p, err := actor.Plan(ctx, id)
		return planMsg{ID: id, Plan: p, Err: err}
	}
}

// startAction runs the approved plan. The executor's progress callback
// writes to a channel; waitProgress turns each value into a message.
func startAction(base context.Context, actor Actor, p executor.Plan, a executor.Approval, id string, now time.Time) (*runningAction, tea.Cmd) {
	ctx, cancel := context.WithCancel(base)
	ra := &runningAction{id: id, started: now, cancel: cancel, progress: make(chan executor.Progress, 16)}
	ch := ra.progress
	run := func() tea.Msg {
		defer cancel()
		report := func(pr executor.Progress) {
			select {
			case ch <- pr:
			case <-ctx.Done():
			}
		}
		out, err := actor.Execute(ctx, p, a, report)
		close(ch)
		return outcomeMsg{Outcome: out, Err: err}
	}
	return ra, tea.Batch(run, waitProgress(ch))
}

// waitProgress reads the next progress report, or notes the channel closed.
func waitProgress(ch <-chan executor.Progress) tea.Cmd {
	return func() tea.Msg {
		pr, ok := <-ch
		if !ok {
			return progressClosedMsg{}
		}
		return progressMsg{Progress: pr}
	}
}
