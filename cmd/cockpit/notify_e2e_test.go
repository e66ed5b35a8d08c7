package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestAScriptedCutoverNotifiesTheTeam: a local webhook receiver subscribed
// to actions and rollbacks gets one message per event, in order, during
// S1 and a rollback run by the built binary; nothing from before the
// process started is told again.
func TestAScriptedCutoverNotifiesTheTeam(t *testing.T) {
	if testing.Short() {
		t.Skip("runs S1 and a rollback on a rehearsal world")
	}
	t.Parallel()
	var mu sync.Mutex
	var got []string
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		var e struct{ Kind, Step string }
		if err := json.Unmarshal(body, &e); err != nil {
			t.Errorf("a message that is not the JSON event: %v: %s", err, body)
		}
		mu.Lock()
		got = append(got, e.Kind+" "+e.Step)
		mu.Unlock()
	}))
	t.Cleanup(receiver.Close)
	e := newE2EWorld(t, cockpitBinary(t), func(cfg string) string {
		return cfg + "\nnotify:\n  targets:\n    - name: team\n      url: " + receiver.URL + "/hook/secret-token\n      format: json\n" +
			"      events: [action.started, action.done, action.failed, rollback.started, rollback.done]\n"
	})
	e.mustRun(exitOK, "run", "S1", "--env", "staging", "--approve", "S1")
	e.mustRun(exitRolledBack, "rollback", "--env", "staging", "--approve", "rollback")
	want := "action.started S1\naction.done S1\nrollback.started rollback\nrollback.done rollback"
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		have := strings.Join(got, "\n")
		mu.Unlock()
		if have == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the receiver got:\n%s\nwant:\n%s", have, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
