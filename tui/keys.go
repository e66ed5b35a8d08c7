package tui

import "charm.land/bubbles/v2/key"

// KeyMap holds the screen's global keys. Dispatch uses key.Matches only, and
// the help overlay and footer are generated from these bindings.
type KeyMap struct {
	Up, Down      key.Binding
	PageUp        key.Binding
	PageDown      key.Binding
	Run           key.Binding
	Rollback      key.Binding
	WriteProbe    key.Binding
	Refresh       key.Binding
	Evidence      key.Binding
	Sources       key.Binding
	Timeline      key.Binding
	Faults        key.Binding
	CancelGuard   key.Binding
	Help          key.Binding
	Quit          key.Binding
	ForceQuitOrNo key.Binding
}

// DefaultKeyMap is the screen's bindings; Faults is enabled only in rehearsal.
func DefaultKeyMap(rehearsal bool) KeyMap {
	k := KeyMap{
		Up:            key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:          key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:        key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "scroll up")),
		PageDown:      key.NewBinding(key.WithKeys("pgdown", "ctrl+d"), key.WithHelp("pgdn", "scroll down")),
		Run:           key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "run step")),
		Rollback:      key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "rollback")),
		WriteProbe:    key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "write probe")),
		Refresh:       key.NewBinding(key.WithKeys("ctrl+r", "R"), key.WithHelp("R", "refresh now")),
		Evidence:      key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "evidence")),
		Sources:       key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "evidence sources (query, URL)")),
		Timeline:      key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "timeline")),
		Faults:        key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "faults")),
		CancelGuard:   key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "cancel the guard's countdown")),
		Help:          key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:          key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		ForceQuitOrNo: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit / abandon")),
	}
	k.Faults.SetEnabled(rehearsal)
	k.CancelGuard.SetEnabled(false) // the screen enables it when it can cancel
	return k
}

// ShortHelp is the footer line.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Help, k.Run, k.Rollback, k.WriteProbe, k.Evidence, k.Timeline, k.Faults, k.Quit}
}

// FullHelp is the help overlay, one column per group.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Evidence, k.Sources, k.Timeline, k.Refresh},
		{k.Run, k.Rollback, k.WriteProbe, k.Faults, k.CancelGuard},
		{k.Help, k.Quit, k.ForceQuitOrNo},
	}
}

// ConfirmKeyMap is the confirm dialog's keys. Cancel by letter works only
// while no text field is being typed into (an "n" may be part of "staging");
// Esc always cancels.
type ConfirmKeyMap struct {
	Confirm, CancelLetter, Cancel, NextField key.Binding
	PageUp, PageDown                         key.Binding
}

// DefaultConfirmKeyMap is the dialog's bindings.
func DefaultConfirmKeyMap() ConfirmKeyMap {
	return ConfirmKeyMap{
		Confirm:      key.NewBinding(key.WithKeys("enter", "y"), key.WithHelp("enter/y", "confirm")),
		CancelLetter: key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "cancel")),
		Cancel:       key.NewBinding(key.WithKeys("esc", "ctrl+c"), key.WithHelp("esc", "cancel")),
		NextField:    key.NewBinding(key.WithKeys("tab", "shift+tab"), key.WithHelp("tab", "next field")),
		PageUp:       key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "plan up")),
		PageDown:     key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", "plan down")),
	}
}

// FullHelp is the dialog's keys in the help overlay, one column per group.
func (k ConfirmKeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Confirm, k.CancelLetter, k.Cancel}, {k.NextField, k.PageUp, k.PageDown}}
}

// MenuKeyMap drives the small menus: the instructor's fault menu and the
// "abandon the running action?" question.
type MenuKeyMap struct {
	Up, Down, Toggle, Close, Yes, No key.Binding
}

// DefaultMenuKeyMap is the menus' bindings.
func DefaultMenuKeyMap() MenuKeyMap {
	return MenuKeyMap{
		Up:     key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:   key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Toggle: key.NewBinding(key.WithKeys("enter", "space"), key.WithHelp("enter", "toggle")),
		Close:  key.NewBinding(key.WithKeys("esc", "f", "q"), key.WithHelp("esc", "close")),
		Yes:    key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "yes")),
		No:     key.NewBinding(key.WithKeys("n", "esc"), key.WithHelp("n", "no")),
	}
}
