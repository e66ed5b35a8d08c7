package tui

import (
	"github.com/charmbracelet/colorprofile"

	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/runbook"
)

// TestEvidenceHidesSecretsBeforeItWraps: a source URL with a password and
// an error quoting a token are hidden before the pane wraps them, so a
// secret is never drawn, not even cut in two across lines; the user and
// host, which say where, stay.
func TestEvidenceHidesSecretsBeforeItWraps(t *testing.T) {
	const password, token = "pw-0123456789abcdef0123", "tok-0123456789abcdef0123"
	secrets := journal.NewRedactor(token)
	c := &common{styles: NewStyles(colorprofile.NoTTY, true), now: func() time.Time { return clock }, redact: secrets.Redact}
	keys := DefaultKeyMap(false)
	e := newEvidenceView(c, &keys)
	e.SetSize(40, 30) // narrow: every long line wraps
	e.showSources = true
	it := runbook.ItemStatus{Item: &runbook.Item{ID: "P3", Title: "health"}, Checks: []checks.Result{{
		ID: "rust_health", Title: "rust health", Verdict: checks.Unknown, ObservedAt: clock,
		Evidence: checks.Evidence{Source: "GET http://ops:" + password + "@127.0.0.1:4100/healthz",
			Reason: `query error: Post "http://prom:9090/api/v1/query?token=` + token + `": connection refused`},
	}}}
	c.at = clock
	e.Update(evidenceMsg{Item: it})
	view := e.View()
	for _, secret := range []string{password, token} {
		for _, half := range []string{secret[:len(secret)/2], secret[len(secret)/2:]} {
			if strings.Contains(view, half) {
				t.Errorf("the evidence shows %q of %q:\n%s", half, secret, view)
			}
		}
	}
	if !strings.Contains(view, "ops:"+journal.Redacted) {
		t.Errorf("the evidence lost where the source is (ops:%s):\n%s", journal.Redacted, view)
	}
}

// TestTheFrameIsMaskedBeforeTheRenderer: the renderer writes only changed
// cells, so a secret could reach the terminal in pieces that no writer
// would recognise. The frame itself is masked, column for column, before
// the renderer sees it: no piece of the secret is drawn.
func TestTheFrameIsMaskedBeforeTheRenderer(t *testing.T) {
	const secret = "tok-0123abcd" // fits the value column: a cut secret is the source redaction's to hide
	s := healthyState()
	s.Health[0].Evidence.Value = secret
	m := newTestModel(t, Options{Mode: Watch, Mask: journal.NewRedactor(secret).Mask}, s, 200, 50)
	frame := m.View().Content
	if strings.Contains(frame, secret[:8]) {
		t.Fatalf("the frame holds the secret:\n%s", frame)
	}
	row := lineWith(frame, "rust health")
	if !strings.Contains(row, strings.Repeat("*", len(secret))) {
		t.Errorf("the secret is not masked in place: %q", row)
	}
	if w, unmasked := ansi.StringWidth(row), ansi.StringWidth(lineWith(m.screen(), "rust health")); w != unmasked {
		t.Errorf("masking moved the columns: the row is %d cells wide, %d unmasked", w, unmasked)
	}
}
