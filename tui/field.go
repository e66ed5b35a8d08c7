package tui

import (
	"strings"
	"unicode"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// field is a one-line text entry for the confirm dialog and the guard's
// cancel prompt. bubbles/textinput would pull in a clipboard module this
// build does not carry, and they need only typing, backspace and clear.
type field struct {
	value   []rune
	hint    string
	focused bool
	limit   int
}

// Value is what was typed.
func (f *field) Value() string { return string(f.value) }

// Update edits the field with one key, when it has the focus.
func (f *field) Update(msg tea.KeyPressMsg) {
	switch {
	case msg.String() == "ctrl+u":
		f.value = f.value[:0]
	case msg.Code == tea.KeyBackspace:
		if len(f.value) > 0 {
			f.value = f.value[:len(f.value)-1]
		}
	default:
		f.insert(msg.Text) // "" for keys that print nothing (arrows, ctrl+…)
	}
}

// insert adds typed or pasted text at the end, when the field has the
// focus, within its limit; what a terminal cannot print (a pasted line
// break, an escape sequence) is left out.
func (f *field) insert(text string) {
	if !f.focused {
		return
	}
	runes := []rune(strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, ansi.Strip(text)))
	if f.limit == 0 || len(f.value)+len(runes) <= f.limit {
		f.value = append(f.value, runes...)
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
