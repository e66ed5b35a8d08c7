package tui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/executor"
	"github.com/openagents/cockpit/internal/safetext"
	"github.com/openagents/cockpit/runbook"
)

// confirmAnswer is what the operator did with the dialog.
type confirmAnswer int

const (
	confirmOpen confirmAnswer = iota
	confirmCancelled
	confirmApproved
)

// confirmDialog shows the resolved action (exact argv or HTTP call), the
// environment and the live gate values with their ages. Production, or an
// item that asks for it, needs the environment name typed; gates that are
// not green need a typed override reason. "No" means stay: nothing runs.
type confirmDialog struct {
	c          *common
	keys       ConfirmKeyMap
	plan       executor.Plan
	id         string // what was asked for: an item ID, rollback or write-probe
	needTyped  bool
	needReason bool
	typed      field
	reason     field
	focus      int // 0: typed, 1: reason
	problem    string
	offset     int // first plan line shown when the plan is taller than the dialog
	answer     confirmAnswer
	width      int
	height     int
	// opened is when the dialog appeared: a confirm key within confirmGrace
	// of it is a key pressed before the plan could be read (a double-tapped
	// Enter) and is ignored.
	opened time.Time
}

// confirmGrace is how long a fresh dialog ignores confirm keys.
const confirmGrace = 600 * time.Millisecond

func newConfirmDialog(c *common, keys ConfirmKeyMap, id string, p executor.Plan) *confirmDialog {
	p.Gates = slices.Clone(p.Gates) // refreshed in place; the caller's plan stays as it was
	d := &confirmDialog{c: c, keys: keys, id: id, plan: p, opened: c.at}
	d.needTyped = c.production || p.Production || (p.Item != nil && p.Item.Confirm == runbook.ConfirmTyped)
	d.needReason = !p.GatesGreen
	d.typed = field{hint: d.env(), limit: 64}
	d.reason = field{hint: "why proceed anyway", limit: 200}
	switch {
	case d.needTyped:
		d.typed.focused = true
	case d.needReason:
		d.focus = 1
		d.reason.focused = true
	}
	return d
}

func (d *confirmDialog) env() string {
	if d.plan.Env != "" {
		return d.plan.Env
	}
	return d.c.env
}

// typing reports whether a text field has the keyboard, so letters are text.
func (d *confirmDialog) typing() bool { return d.needTyped || d.needReason }

// Init wakes the screen when the dialog's grace ends (confirmReadyCmd).
func (d *confirmDialog) Init() tea.Cmd { return confirmReadyCmd() }

// Update takes a key (the answer is then Answer's), pasted text for the
// focused field, or a round whose gate values replace the plan's. It never
// runs anything itself: the root starts the action only on confirmApproved.
// The plan's scroll offset is kept within the plan here, never in View.
func (d *confirmDialog) Update(msg tea.Msg) (*confirmDialog, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		d.answer = d.key(msg)
	case tea.PasteMsg:
		d.Paste(msg.Content)
	case StateMsg:
		d.refreshGates(msg.State)
	}
	head, calls, tail := d.parts()
	d.offset = planOffset(d.offset, len(calls), d.planRoom(head, tail))
	return d, nil
}

// Answer is what the operator did with the dialog's last key.
func (d *confirmDialog) Answer() confirmAnswer { return d.answer }

// ID is what was asked for: an item ID, rollback or write-probe.
func (d *confirmDialog) ID() string { return d.id }

// Plan is the plan being confirmed, with the newest gate values.
func (d *confirmDialog) Plan() executor.Plan { return d.plan }

// SetSize sets the dialog's box.
func (d *confirmDialog) SetSize(w, h int) {
	d.width, d.height = w, h
	head, calls, tail := d.parts()
	d.offset = planOffset(d.offset, len(calls), d.planRoom(head, tail))
}

// ShortHelp is the dialog's keys.
func (d *confirmDialog) ShortHelp() []key.Binding {
	return []key.Binding{d.keys.Confirm, d.keys.CancelLetter, d.keys.Cancel, d.keys.NextField, d.keys.PageUp, d.keys.PageDown}
}

// FullHelp is the dialog's keys as the help overlay groups them.
func (d *confirmDialog) FullHelp() [][]key.Binding { return d.keys.FullHelp() }

// key handles one key press.
func (d *confirmDialog) key(msg tea.KeyPressMsg) confirmAnswer {
	d.problem = ""
	switch {
	case key.Matches(msg, d.keys.Cancel):
		return confirmCancelled
	case !d.typing() && key.Matches(msg, d.keys.CancelLetter):
		return confirmCancelled
	case key.Matches(msg, d.keys.NextField) && d.needTyped && d.needReason:
		d.switchField()
		return confirmOpen
	case key.Matches(msg, d.keys.PageUp):
		d.offset = max(d.offset-5, 0)
		return confirmOpen
	case key.Matches(msg, d.keys.PageDown):
		d.offset += 5 // kept within the plan by Update
		return confirmOpen
	case msg.Code == tea.KeyEnter || (!d.typing() && key.Matches(msg, d.keys.Confirm)):
		if p := d.missing(); p != "" {
			d.problem = p
			return confirmOpen
		}
		if !d.ready(d.c.at) {
			d.problem = "read the plan first, then confirm"
			return confirmOpen
		}
		return confirmApproved
	}
	d.focused().Update(msg)
	return confirmOpen
}

// focused is the text field that has the keyboard.
func (d *confirmDialog) focused() *field {
	if d.focus == 0 {
		return &d.typed
	}
	return &d.reason
}

// Paste puts pasted text into the focused field (a reason copied from a
// ticket); a dialog without one ignores it.
func (d *confirmDialog) Paste(text string) {
	d.problem = ""
	d.focused().insert(text)
}

func (d *confirmDialog) switchField() {
	d.focus = 1 - d.focus
	d.typed.focused = d.focus == 0
	d.reason.focused = d.focus == 1
}

// missing names what is still required before the action may run.
func (d *confirmDialog) missing() string {
	if typed := strings.TrimSpace(d.typed.Value()); d.needTyped && typed != d.env() {
		return fmt.Sprintf("%q is not %q: nothing runs until the name matches", typed, d.env())
	}
	if d.needReason && strings.TrimSpace(d.reason.Value()) == "" {
		return "gates are not green: type an override reason (it is journaled)"
	}
	return ""
}

// approval is what the operator agreed to, for the executor and the journal.
func (d *confirmDialog) approval(operator string) executor.Approval {
	a := executor.Approval{Operator: operator, Via: "tui"}
	if d.needTyped {
		a.TypedEnv = strings.TrimSpace(d.typed.Value())
	}
	if d.needReason {
		a.OverrideReason = strings.TrimSpace(d.reason.Value())
	}
	return a
}

// refreshGates replaces the plan's gate values with the newest round's, so
// the dialog shows live values, and asks for a reason if one turned red.
func (d *confirmDialog) refreshGates(s runbook.State) {
	latest := map[string]checks.Result{}
	for _, it := range s.Items {
		for _, r := range it.Checks {
			latest[r.ID] = r
		}
	}
	green := len(d.plan.Gates) > 0
	for i, g := range d.plan.Gates {
		if r, ok := latest[g.ID]; ok && g.ID != "" {
			d.plan.Gates[i] = r
		}
		green = green && d.plan.Gates[i].Verdict.Green()
	}
	if len(d.plan.Gates) > 0 {
		d.plan.GatesGreen = green
	}
	if !d.plan.GatesGreen && !d.needReason {
		d.needReason = true
		if !d.needTyped {
			d.focus = 1
			d.reason.focused = true
		}
	}
}

// View renders the dialog in at most its height, always in this order:
// what will run (scrolled with pgup/pgdn when long), the gates with their
// live verdicts (those not green first), the fields it needs, and its keys.
// The plan gives up rows before anything below it does.
func (d *confirmDialog) View() string {
	st := d.c.styles
	width, height := d.width, d.height
	head, calls, tail := d.parts()
	lines := append(head, d.planLines(calls, d.planRoom(head, tail))...)
	lines = append(lines, tail...)
	for i := range lines {
		lines[i] = fit(lines[i], width)
	}
	if len(lines) > height {
		// Too many gates for the screen: the keys stay, gates beyond the
		// room are counted (the list and evidence show them all).
		keys := lines[len(lines)-1]
		lines = append(lines[:height-2], st.Muted.Render(fmt.Sprintf("… %d more lines (a taller terminal shows them)", len(lines)-height+1)), keys)
	}
	return strings.Join(lines, "\n")
}

// parts are the dialog's title and environment, the plan's calls, and
// what follows the plan (gates, fields, keys), at the frame's clock.
func (d *confirmDialog) parts() (head, calls, tail []string) {
	st := d.c.styles
	p := d.plan
	title := "CONFIRM " + d.id
	if p.Item != nil {
		title = "CONFIRM " + p.Item.ID + " " + p.Item.Title
	}
	env := "environment: " + safetext.Clean(d.env())
	if d.c.production || p.Production {
		env = st.Crit.Render(env + " [PRODUCTION]")
	}
	head = []string{st.Title.Render(title), env}
	if p.Writes {
		head[1] += st.Muted.Render(" · ") + st.Warn.Render("this action changes the system")
	}
	for _, c := range p.Calls {
		calls = append(calls, callLines(c, d.width, st)...)
	}
	if len(p.Calls) == 0 {
		calls = append(calls, "  (checks only, nothing is changed)")
	}
	tail = d.gateLines(d.width, d.c.at)
	tail = append(tail, d.fieldLines(d.c.at)...)
	return head, calls, tail
}

// planRoom is the rows the plan gets, its label included.
func (d *confirmDialog) planRoom(head, tail []string) int {
	return max(d.height-len(head)-1-len(tail), 1)
}

// planOffset is off kept within a plan of n lines shown in room rows.
func planOffset(off, n, room int) int {
	if n <= room {
		return 0
	}
	return max(min(off, n-max(room-1, 1)), 0)
}

// planLines is "will run:" and the calls that fit in room lines, scrolled
// to the dialog's offset, saying what is above or below.
func (d *confirmDialog) planLines(calls []string, room int) []string {
	st := d.c.styles
	label := st.Title.Render("will run:")
	if len(calls) <= room {
		return append([]string{label}, calls...)
	}
	rows := max(room-1, 1)
	off := planOffset(d.offset, len(calls), room)
	shown := calls[off : off+rows]
	more := fmt.Sprintf(" (lines %d–%d of %d · pgup/pgdn)", off+1, off+rows, len(calls))
	return append([]string{label + st.Warn.Render(more)}, shown...)
}

// gateLines are the live gates, those not green first and wrapped whole
// (what holds the step is read to its end); green ones one line each.
func (d *confirmDialog) gateLines(width int, now time.Time) []string {
	st := d.c.styles
	gates := slices.Clone(d.plan.Gates)
	slices.SortStableFunc(gates, func(a, b checks.Result) int {
		return boolRank(a.Verdict.Green()) - boolRank(b.Verdict.Green())
	})
	lines := []string{st.Title.Render("gates (live):")}
	for _, g := range gates {
		line := "  " + st.Verdict(g.Verdict).Render(verdictSymbol(g.Verdict)+" "+g.ID+" "+g.Verdict.String()) + " " + oneLine(humanLine(g, now))
		if g.Verdict.Green() {
			lines = append(lines, line)
			continue
		}
		for i, l := range strings.Split(ansi.Wrap(line, max(width-4, 20), ""), "\n") {
			if i > 0 {
				l = "    " + l
			}
			lines = append(lines, l)
		}
	}
	if len(gates) == 0 {
		lines = append(lines, "  (no gates)")
	}
	return lines
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ready reports whether the dialog accepts a confirm key: once it has
// been on screen for confirmGrace.
func (d *confirmDialog) ready(now time.Time) bool { return now.Sub(d.opened) >= confirmGrace }

// confirmReadyMsg arrives when a dialog's grace is over, so the screen
// redraws its keys line at once: it shows the confirm keys exactly when
// they work, and what a person (or a test) waits for is on the screen.
type confirmReadyMsg struct{}

// confirmReadyCmd wakes the screen when a fresh dialog's grace is over.
func confirmReadyCmd() tea.Cmd {
	return tea.Tick(confirmGrace, func(time.Time) tea.Msg { return confirmReadyMsg{} })
}

// fieldLines are the override reason and typed name fields, the problem
// with the last answer, and the keys: the confirm keys only once they work.
func (d *confirmDialog) fieldLines(now time.Time) []string {
	st := d.c.styles
	var lines []string
	if d.needReason {
		lines = append(lines, st.Warn.Render("gates not green: override reason (journaled):")+" "+d.reason.View(st))
	}
	if d.needTyped {
		lines = append(lines, fmt.Sprintf("type the environment name %q to confirm:", d.env())+" "+d.typed.View(st))
	}
	if d.problem != "" {
		lines = append(lines, st.Crit.Render(d.problem))
	}
	switch {
	case !d.ready(now):
		return append(lines, st.Muted.Render("read the plan: confirming opens in a moment · esc cancel (nothing runs)"))
	case d.typing():
		return append(lines, st.Focused.Render("enter confirm · esc cancel (nothing runs)"))
	}
	return append(lines, st.Focused.Render("y/enter confirm · n/esc cancel (nothing runs)"))
}

// callLines show an actuator call exactly: quoted argv, or the HTTP line,
// wrapped between arguments (never cut) so the operator reads every
// argument before saying yes; the description follows on its own line.
func callLines(c executor.Call, width int, st Styles) []string {
	// The argv and URL come from the config (and typed values checked by
	// ResolveCall): trusted more than a runtime, but a pasted escape
	// sequence must still not reach the terminal, so each word goes through
	// the same boundary as outside text.
	var words []string
	switch {
	case len(c.Argv) > 0:
		words = append(words, "$")
		for _, a := range c.Argv {
			words = append(words, safetext.Clean(shellQuote(a)))
		}
	case c.HTTP != "":
		words = strings.Fields(safetext.Clean(c.HTTP))
	default:
		words = []string{safetext.Clean(c.Actuator)}
	}
	const indent, cont = "  ", "      "
	lines := packWords(words, max(width-len(cont), 20))
	for i := range lines {
		if i == 0 {
			lines[i] = indent + lines[i]
		} else {
			lines[i] = cont + lines[i]
		}
	}
	if c.Description != "" {
		lines = append(lines, st.Muted.Render(cont+"# "+safetext.Clean(c.Description)))
	}
	return lines
}

// packWords fills lines of at most w cells with whole words; a word wider
// than w alone is split where it must be.
func packWords(words []string, w int) []string {
	var lines []string
	cur := ""
	for _, word := range words {
		switch {
		case cur == "":
			cur = word
		case ansi.StringWidth(cur)+1+ansi.StringWidth(word) <= w:
			cur += " " + word
		default:
			lines = append(lines, cur)
			cur = word
		}
		for ansi.StringWidth(cur) > w {
			lines = append(lines, ansi.Truncate(cur, w, ""))
			cur = ansi.TruncateLeft(cur, w, "")
		}
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}

// shellQuote quotes an argument only when a shell would split or expand it,
// so the line can be read (and pasted) as the exact argv.
func shellQuote(a string) string {
	if a != "" && !strings.ContainsAny(a, " \t\n'\"\\$`&|;<>()*?[]#~!{}") {
		return a
	}
	return "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
}
