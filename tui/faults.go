package tui

import (
	"context"
	"fmt"
	"strings"
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
// Each fault is listed with what it does (Options.FaultHelp).
type faultMenu struct {
	c      *common
	keys   MenuKeyMap
	base   context.Context
	toggle func(ctx context.Context, name string, on bool) error
	names  []string          // the world's faults, in menu order
	help   map[string]string // what each fault does; a fault without one shows its name alone
	on     map[string]bool
	cursor int
	status string
	open   bool
	width  int
}

func newFaultMenu(c *common, keys MenuKeyMap, base context.Context, o Options) *faultMenu {
	return &faultMenu{c: c, keys: keys, base: base, names: o.FaultNames, help: o.FaultHelp, toggle: o.Faults, on: map[string]bool{}}
}

// Init starts nothing: the menu waits for the instructor.
func (f *faultMenu) Init() tea.Cmd { return nil }

// Show opens the menu; Visible says whether it is open.
func (f *faultMenu) Show() { f.open = true }

// Visible reports whether the menu is open (and has the keyboard).
func (f *faultMenu) Visible() bool { return f.open }

// SetSize sets the menu's width; it is as tall as its faults.
func (f *faultMenu) SetSize(w, _ int) { f.width = w }

// ShortHelp is the menu's keys line: toggle and close.
func (f *faultMenu) ShortHelp() []key.Binding { return []key.Binding{f.keys.Toggle, f.keys.Close} }

// FullHelp is every key the menu takes.
func (f *faultMenu) FullHelp() [][]key.Binding {
	return [][]key.Binding{{f.keys.Up, f.keys.Down}, f.ShortHelp()}
}

// Update moves the cursor, toggles a fault (the world answers with a
// faultMsg, recorded here) or closes the menu.
func (f *faultMenu) Update(msg tea.Msg) (*faultMenu, tea.Cmd) {
	switch msg := msg.(type) {
	case faultMsg:
		f.Result(msg)
	case tea.KeyPressMsg:
		return f, f.key(msg)
	}
	return f, nil
}

func (f *faultMenu) key(msg tea.KeyPressMsg) tea.Cmd {
	names := f.names
	switch {
	case key.Matches(msg, f.keys.Close):
		f.open = false
	case key.Matches(msg, f.keys.Up):
		f.cursor = max(f.cursor-1, 0)
	case key.Matches(msg, f.keys.Down):
		f.cursor = min(f.cursor+1, len(names)-1)
	case key.Matches(msg, f.keys.Toggle):
		name, on := names[f.cursor], !f.on[names[f.cursor]]
		f.status = fmt.Sprintf("%s: switching %s…", name, onOff(on))
		toggle, base := f.toggle, f.base
		return func() tea.Msg {
			ctx, cancel := context.WithTimeout(base, 10*time.Second)
			defer cancel()
			return faultMsg{Name: name, On: on, Err: toggle(ctx, name, on)}
		}
	}
	return nil
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
func (f *faultMenu) View() string {
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
		line := mark + state + " " + n
		if h := f.help[n]; h != "" {
			line += st.Muted.Render(" · " + h)
		}
		lines = append(lines, line)
	}
	lines = append(lines, "", f.status, st.Muted.Render("enter toggle · esc close"))
	for i := range lines {
		lines[i] = fit(lines[i], f.width)
	}
	return strings.Join(lines, "\n")
}
