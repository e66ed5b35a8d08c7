package executor

import (
	"context"
	"strings"
	"testing"

	"github.com/openagents/cockpit/checks"
)

// fakeProber stands in for the write probe: the executor's part is to run
// the probe it was handed and give the world the run it wrote.
type fakeProber struct {
	calls int
	rep   checks.WriteProbeReport
	res   []checks.Result
}

func (p *fakeProber) WriteProbe(context.Context) (checks.WriteProbeReport, []checks.Result) {
	p.calls++
	return p.rep, p.res
}

// The write probe runs only through the probe the acting path handed the
// executor: without one the step fails and says so (nothing falls back on
// the engine, which holds none); with one the run it wrote goes to the
// world, whose judgement of V1, S2 and P3 rests on it.
func TestTheWriteProbeStepUsesOnlyTheProbeItWasGiven(t *testing.T) {
	h := newHarness(t, false)
	p, err := h.x.Plan(t.Context(), "write-probe")
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.x.Execute(t.Context(), p, Approval{Operator: "alice"}, nil)
	if err != nil || out.OK || !strings.Contains(out.Message, "the write probe is not available in this process") {
		t.Fatalf("write probe without a prober: %+v %v, want a failure saying it is not available", out, err)
	}
	if len(h.world.noted) != 0 {
		t.Fatalf("the world was handed %d runs without a probe", len(h.world.noted))
	}

	prober := &fakeProber{rep: checks.WriteProbeReport{RunID: "run-1", OK: true},
		res: []checks.Result{{ID: "write_probe.create", Verdict: checks.Pass, ObservedAt: t0}}}
	h.x.opts.WriteProbe = prober
	if out, err = h.x.Execute(t.Context(), p, Approval{Operator: "alice"}, nil); err != nil || !out.OK {
		t.Fatalf("write probe with a passing prober: %+v %v, want OK", out, err)
	}
	if prober.calls != 1 || len(h.world.noted) != 1 || h.world.noted[0].RunID != "run-1" {
		t.Errorf("prober called %d times, world noted %+v; want one call and run-1 noted", prober.calls, h.world.noted)
	}
}
