package tui

import tea "github.com/charmbracelet/bubbletea"

// field is a one-line text entry for the confirm dialog. bubbles/textinput
// would pull in a clipboard module this build does not carry, and the dialog
// needs only typing, backspace and clear.
type field struct {
	value   []rune
	hint    string
	focused bool
	limit   int
}

// Value is what was typed.
func (f *field) Value() string { return string(f.value) }

// Update edits the field with one key, when it has the focus.
func (f *field) Update(msg tea.KeyMsg) {
	if !f.focused {
		return
	}
	switch msg.Type {
	case tea.KeyRunes, tea.KeySpace:
		if f.limit == 0 || len(f.value)+len(msg.Runes) <= f.limit {
			f.value = append(f.value, msg.Runes...)
		}
	case tea.KeyBackspace:
		if len(f.value) > 0 {
			f.value = f.value[:len(f.value)-1]
		}
	case tea.KeyCtrlU:
		f.value = f.value[:0]
	}
}

// View renders "> value_" with a cursor when focused, the hint when empty.
func (f *field) View(st Styles) string {
	cursor := ""
	if f.focused {
		cursor = "_"
	}
	if len(f.value) == 0 {
		return "> " + cursor + st.Muted.Render(f.hint)
	}
	return "> " + string(f.value) + cursor
}
