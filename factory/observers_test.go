package factory

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/executor"
	"github.com/openagents/cockpit/selfmetrics"
)

// scriptedActor runs every action by calling during, once.
type scriptedActor struct{ during func() }

func (scriptedActor) Plan(context.Context, string) (executor.Plan, error) {
	return executor.Plan{}, nil
}
func (a scriptedActor) Execute(context.Context, executor.Plan, executor.Approval, func(executor.Progress)) (executor.Outcome, error) {
	a.during()
	return executor.Outcome{OK: true}, nil
}

// An action's start on /metrics is the exporter's clock, the one its
// tests inject, not a second clock beside it; it is absent once it ended.
func TestAnExportedActionStartsByTheExportersClock(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 14, 0, 0, 0, time.UTC)
	x := selfmetrics.New("staging", selfmetrics.WithClock(func() time.Time { return t0 }))
	srv := httptest.NewServer(x.Handler())
	defer srv.Close()
	scrape := func() string {
		resp, err := srv.Client().Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	var during string
	a := exportedActor{Actor: scriptedActor{during: func() { during = scrape() }}, x: x}
	if _, err := a.Execute(t.Context(), executor.Plan{ID: "S1"}, executor.Approval{}, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(during, `cockpit_action_started_timestamp_seconds{action="S1",env="staging"} 1.7723736e+09`) {
		t.Errorf("while S1 ran, /metrics:\n%s\nwant its start at the exporter's clock (%d)", during, t0.Unix())
	}
	if after := scrape(); strings.Contains(after, "cockpit_action_started_timestamp_seconds{") {
		t.Errorf("after S1 ended, its start is still exported:\n%s", after)
	}
}
