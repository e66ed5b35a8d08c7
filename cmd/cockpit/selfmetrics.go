package main

import (
	"context"
	"time"

	"github.com/openagents/cockpit/executor"
	"github.com/openagents/cockpit/runbook"
	"github.com/openagents/cockpit/selfmetrics"
	"github.com/openagents/cockpit/tui"
)

// exportedObserver hands every observation round to the screen and to the
// cockpit's own metrics (--metrics-addr), so Grafana or Alertmanager see
// the verdicts the screen shows, parity and runtime-derived gates included.
type exportedObserver struct {
	tui.Observer
	x *selfmetrics.Exporter
}

func (o exportedObserver) Observe(ctx context.Context) runbook.State {
	s := o.Observer.Observe(ctx)
	o.x.Observe(s)
	return s
}

// exportedActor marks an action in progress for as long as it runs.
type exportedActor struct {
	tui.Actor
	x *selfmetrics.Exporter
}

func (a exportedActor) Execute(ctx context.Context, p executor.Plan, ap executor.Approval, report func(executor.Progress)) (executor.Outcome, error) {
	a.x.ActionStarted(p.ID, time.Now())
	defer a.x.ActionEnded(p.ID)
	return a.Actor.Execute(ctx, p, ap, report)
}

// serveSelfMetrics starts the exporter on addr ("" serves nothing) and
// wraps the screen's observer and actor with it; undelivered notifications
// are counted.
func serveSelfMetrics(ctx context.Context, addr, env string, obs tui.Observer, actor tui.Actor, n *notifying) (tui.Observer, tui.Actor, string, error) {
	if addr == "" {
		return obs, actor, "", nil
	}
	x := selfmetrics.New(env)
	bound, err := x.Serve(ctx, addr)
	if err != nil {
		return nil, nil, "", err
	}
	n.countFailures(x.NotificationFailed)
	if actor != nil {
		actor = exportedActor{Actor: actor, x: x}
	}
	return exportedObserver{Observer: obs, x: x}, actor, bound, nil
}
