package tui

import (
	"charm.land/bubbles/v2/help"
)

// newHelp is the bubbles help view styled with the screen's styles (not the
// package's defaults), so NO_COLOR and pinned profiles apply to it too.
func newHelp(s Styles) help.Model {
	h := help.New()
	h.Styles = help.Styles{
		ShortKey: s.Focused.Style, ShortDesc: s.Muted.Style, ShortSeparator: s.Muted.Style, Ellipsis: s.Muted.Style,
		FullKey: s.Focused.Style, FullDesc: s.Muted.Style, FullSeparator: s.Muted.Style,
	}
	return h
}

// helpOverlay lists every key the screen offers and its dialogs' keys,
// generated from the keymaps so it cannot drift from what the keys do. A
// read-only screen has no confirm dialog and says where actions are.
func helpOverlay(h help.Model, st Styles, k KeyMap, ck ConfirmKeyMap, readOnly bool, width int) []string {
	h.SetWidth(width)
	lines := []string{st.Title.Render("KEYS"), ""}
	lines = append(lines, splitLines(h.FullHelpView(k.FullHelp()))...)
	if readOnly {
		lines = append(lines, "", st.Muted.Render(readOnlyMessage))
	} else {
		lines = append(lines, "", st.Title.Render("CONFIRM DIALOG"))
		lines = append(lines, splitLines(h.FullHelpView(ck.FullHelp()))...)
	}
	lines = append(lines, "", st.Muted.Render("press any key to close"))
	return lines
}
