package tui

import (
	"io"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// A ratio over fewer requests than the signal's min_requests (the cockpit's
// own refused probes, say) is dimmed and labelled, never shown as an alarm.
func TestErrorRateBelowMinRequestsIsLowTrafficNotAnAlarm(t *testing.T) {
	s := healthyState()
	thin := s.Snapshot.Samples["rust_write_error_rate"]
	thin.Value, thin.Volume = 1, 3 // 100% of 3 requests; min_requests is 20
	s.Snapshot.Samples["rust_write_error_rate"] = thin

	m := newTestModel(t, Options{Mode: Operate, Actor: &fakeActor{}}, s, 200, 50)
	colour := lipgloss.NewRenderer(io.Discard)
	colour.SetColorProfile(termenv.TrueColor)
	m.c.styles = NewStyles(colour)
	m.panes.SetState(s)

	view := m.View()
	row := ""
	for _, l := range strings.Split(view, "\n") {
		if strings.Contains(l, "100%") {
			row = l
		}
	}
	if !strings.Contains(row, "(low traffic)") {
		t.Fatalf("the rust error rate row does not say low traffic: %q", row)
	}
	if strings.Contains(row, m.c.styles.Crit.Render("100%")) {
		t.Errorf("a low-traffic ratio is drawn as an alarm: %q", row)
	}
	if !strings.Contains(row, m.c.styles.Muted.Render("100%")) {
		t.Errorf("a low-traffic ratio is not dimmed: %q", row)
	}
}
