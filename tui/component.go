package tui

import (
	"charm.land/bubbles/v2/help"
	tea "charm.land/bubbletea/v2"
)

// component is the one contract every part of the screen keeps, as
// soft-serve's common.Component (tea.Model + help.KeyMap + SetSize) in
// Bubble Tea v2's shape for parts: like bubbles v2's components, Update
// returns the component itself and View a string (only the program's root
// returns a tea.View). State changes in Update alone; View renders what
// Update left, against the frame's clock (common.at), and changes nothing.
// The root routes each message by its type to the parts that take it and
// never reads or writes a part's fields; what a part tells the root
// (a dialog's answer, the selected item) it tells through a method.
type component[T any] interface {
	Init() tea.Cmd
	Update(msg tea.Msg) (T, tea.Cmd)
	View() string
	help.KeyMap
	SetSize(width, height int)
}

// The screen's parts keep the contract (checked when the package builds).
var (
	_ component[*livePanes]     = (*livePanes)(nil)
	_ component[*runbookList]   = (*runbookList)(nil)
	_ component[*evidenceView]  = (*evidenceView)(nil)
	_ component[*timeline]      = (*timeline)(nil)
	_ component[*confirmDialog] = (*confirmDialog)(nil)
	_ component[*faultMenu]     = (*faultMenu)(nil)
	_ component[*replayer]      = (*replayer)(nil)
)
