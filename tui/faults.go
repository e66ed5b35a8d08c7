package tui

import (
	"context"
	"fmt"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// faultMsg is the world's answer to a fault toggle.
type faultMsg struct {
	Name string
	On   bool
	Err  error
}

// faultMenu is the instructor's menu in rehearsal mode. It shows what this
// session asked the world to do; the panes show what the world then did.
type faultMenu struct {
	c      *common
	keys   MenuKeyMap
	toggle func(ctx context.Context, name string, on bool) error
	names  []string // the world's faults, in menu order
	on     map[string]bool
	cursor int
	status string
}

func newFaultMenu(c *common, keys MenuKeyMap, names []string, toggle func(context.Context, string, bool) error) *faultMenu {
	return &faultMenu{c: c, keys: keys, names: names, toggle: toggle, on: map[string]bool{}}
}

// Update moves the cursor or toggles a fault; close reports the menu is done.
func (f *faultMenu) Update(base context.Context, msg tea.KeyPressMsg) (closed bool, cmd tea.Cmd) {
	names := f.names
	switch {
	case key.Matches(msg, f.keys.Close):
		return true, nil
	case key.Matches(msg, f.keys.Up):
		f.cursor = max(f.cursor-1, 0)
	case key.Matches(msg, f.keys.Down):
		f.cursor = min(f.cursor+1, len(names)-1)
	case key.Matches(msg, f.keys.Toggle):
		name, on := names[f.cursor], !f.on[names[f.cursor]]
		f.status = fmt.Sprintf("%s: switching %s…", name, onOff(on))
		toggle := f.toggle
		return false, func() tea.Msg {
			ctx, cancel := context.WithTimeout(base, 10*time.Second)
			defer cancel()
			return faultMsg{Name: name, On: on, Err: toggle(ctx, name, on)}
		}
	}
	return false, nil
}

// Result records the world's answer.
func (f *faultMenu) Result(m faultMsg) {
	if m.Err != nil {
		f.status = fmt.Sprintf("%s: %v", m.Name, m.Err)
		f.c.logger.Warn("fault toggle failed", "fault", m.Name, "on", m.On, "err", m.Err)
		return
	}
	f.on[m.Name] = m.On
	f.status = fmt.Sprintf("%s: %s", m.Name, onOff(m.On))
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// View renders the menu.
func (f *faultMenu) View(width int) []string {
	st := f.c.styles
	lines := []string{st.Title.Render("INSTRUCTOR: inject faults"), ""}
	for i, n := range f.names {
		mark := "  "
		if i == f.cursor {
			mark = st.Focused.Render("▶ ")
		}
		state := st.Muted.Render("[ off ]")
		if f.on[n] {
			state = st.Crit.Render("[ ON  ]")
		}
		lines = append(lines, mark+state+" "+n)
	}
	lines = append(lines, "", f.status, st.Muted.Render("enter toggle · esc close"))
	for i := range lines {
		lines[i] = fit(lines[i], width)
	}
	return lines
}
