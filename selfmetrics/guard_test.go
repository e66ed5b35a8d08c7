package selfmetrics

import (
	"testing"
	"time"
)

// TestGuardStateIsOneHotWithItsCountdown: a process without a guard
// exports no guard series; a guard counting down exports its state
// one-hot and the seconds left, and 0 left once it acts.
func TestGuardStateIsOneHotWithItsCountdown(t *testing.T) {
	e, _ := newTestExporter()
	const countdown = `cockpit_guard_countdown_seconds{env="staging"}`
	if _, ok := value(t, scrape(t, e), countdown); ok {
		t.Fatal("a process with no guard exports a countdown")
	}
	states := []string{"idle", "holding", "countdown", "acting"}
	e.Guard(states, "countdown", 7500*time.Millisecond)
	body := scrape(t, e)
	if v, _ := value(t, body, countdown); v != 7.5 {
		t.Errorf("countdown = %v, want 7.5", v)
	}
	for _, st := range states {
		want := 0.0
		if st == "countdown" {
			want = 1
		}
		if v, ok := value(t, body, `cockpit_guard_state{env="staging",state="`+st+`"}`); !ok || v != want {
			t.Errorf("cockpit_guard_state{state=%q} = %v (present %t), want %v", st, v, ok, want)
		}
	}
	e.Guard(states, "acting", 0)
	body = scrape(t, e)
	if v, _ := value(t, body, `cockpit_guard_state{env="staging",state="acting"}`); v != 1 {
		t.Errorf("acting = %v, want 1", v)
	}
	if v, _ := value(t, body, countdown); v != 0 {
		t.Errorf("countdown = %v while acting, want 0", v)
	}
}
