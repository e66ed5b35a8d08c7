package scripted

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/executor"
	"github.com/openagents/cockpit/output"
)

// Emit prints one event of run or rollback: its kind ("plan", "progress",
// "outcome"), the event and its text line.
type Emit func(w io.Writer, kind string, v any, text string)

// EventFormats are how run and rollback print each event, by -o: its text
// line, or one JSON object per line ({"type": kind, kind: event}).
var EventFormats = output.Registry[Emit]{
	output.Text: func(w io.Writer, _ string, _ any, text string) { fmt.Fprintln(w, text) },
	output.JSON: func(w io.Writer, kind string, v any, _ string) {
		b, _ := json.Marshal(map[string]any{"type": kind, kind: v})
		fmt.Fprintln(w, string(b))
	},
}

// EventWriter prints the plan, progress and outcome of an action in one
// -o format (an EventFormats entry).
type EventWriter struct {
	W    io.Writer
	Emit Emit
}

// Plan prints the plan: its exact calls and live gates.
func (e *EventWriter) Plan(p executor.Plan) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s on %s", p.ID, p.Env)
	for _, c := range p.Calls {
		fmt.Fprintf(&b, "\n  call  %s", c.Show())
	}
	for _, g := range p.Gates {
		fmt.Fprintf(&b, "\n  gate  %s %s", g.ID, g.Line(p.At))
	}
	type planJSON struct {
		ID         string          `json:"id"`
		Env        string          `json:"env"`
		Calls      []executor.Call `json:"calls"`
		Gates      []checks.Result `json:"gates"`
		GatesGreen bool            `json:"gates_green"`
	}
	e.Emit(e.W, "plan", planJSON{p.ID, p.Env, p.Calls, p.Gates, p.GatesGreen}, b.String())
}

// Progress prints one step of the action as it happens.
func (e *EventWriter) Progress(p executor.Progress) {
	at := p.At
	if at.IsZero() {
		at = p.Started
	}
	e.Emit(e.W, "progress", p, fmt.Sprintf("%s %s %s: %s", at.Format("15:04:05"), p.Step, p.SubStep, p.Message))
}

// Outcome prints how the action ended.
func (e *EventWriter) Outcome(o executor.Outcome) {
	state := "OK"
	if !o.OK {
		state = "FAILED"
	}
	e.Emit(e.W, "outcome", o, fmt.Sprintf("%s %s: %s", o.Step, state, o.Message))
}
