package tui

import (
	"context"
	"errors"
	"fmt"

	"github.com/charmbracelet/colorprofile"

	tea "charm.land/bubbletea/v2"
)

// frameRate caps redraws. The data changes once a second, but every frame
// is a wake-up even when nothing changed: on a steady world at 160×48 the
// screen costs 0.47% of a core at 15 frames a second, 0.30% at 10 and
// 0.20% at 5 (BenchmarkSteadyScreenCPU; docs/design.md §9: ≤ 0.5% for the whole
// watch). 10 still echoes a key within 100 ms, where a response stops
// feeling instant.
const frameRate = 10

// Run shows the screen until the operator quits or ctx ends. The terminal
// is restored on the way out (alt screen), whatever happened.
func Run(ctx context.Context, o Options) error {
	m, err := New(ctx, o)
	if err != nil {
		return err
	}
	opts := []tea.ProgramOption{tea.WithContext(ctx), tea.WithFPS(frameRate)}
	if o.Profile != colorprofile.Unknown {
		opts = append(opts, tea.WithColorProfile(o.Profile))
	}
	if o.Input != nil {
		opts = append(opts, tea.WithInput(o.Input))
	}
	if o.Output != nil {
		opts = append(opts, tea.WithOutput(o.Output))
	}
	if _, err := tea.NewProgram(m, opts...).Run(); err != nil {
		if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("running the screen: %w", err)
	}
	return nil
}
