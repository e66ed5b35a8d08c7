package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/openagents/cockpit/internal/testsvc"
	"github.com/openagents/cockpit/notify"
)

// TestAKilledS1sLockIsToldLostByTheNextProcess: S1 is killed (SIGKILL,
// its whole process group) while it holds the lock, so it never journals
// nor notifies the lock's release. The next process to take the lock, the
// rollback, finds the killed holder still named in the lock file and tells
// the team: lock.released with verdict LOST naming the killed process and
// its step, before its own lock.taken. Beside it, the rollback's own lock
// is released cleanly: no LOST for it.
func TestAKilledS1sLockIsToldLostByTheNextProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("runs S1 and a rollback on a rehearsal world")
	}
	t.Parallel()
	receiver, received := eventReceiver(t)
	dir := t.TempDir()
	marker := filepath.Join(dir, "hung-once")
	hangOnce := writeScript(t, dir, "hang-once",
		`if [ ! -e `+marker+` ]; then echo $$ > `+marker+`; exec sleep 600; fi; exec "$@"`)
	w := newE2EWorld(t, cockpitBinary(t), func(cfg string) string {
		cfg = strings.Replace(cfg, "      route_writes: {argv: [", `      route_writes: {argv: ["`+hangOnce+`", `, 1)
		return cfg + "\nnotify:\n  targets:\n    - name: team\n      url: " + receiver.URL + "/hook\n      format: json\n" +
			"      events: [lock.taken, lock.released]\n"
	})
	run := w.command(map[string]string{"DB_URL": w.dbURL}, "run", "S1", "--env", "staging", "--approve", "S1")
	out := &testsvc.LockedBuffer{}
	run.Stdout, run.Stderr = out, out
	must(t, run.Start())
	eventually(t, 60*time.Second, 100*time.Millisecond, "S1 hanging in route_writes, holding the lock", func() bool {
		_, err := os.Stat(marker)
		return err == nil
	})
	killed := run.Process.Pid
	must(t, syscall.Kill(-killed, syscall.SIGKILL))
	_ = run.Wait()
	if pid, err := strconv.Atoi(strings.TrimSpace(string(mustRead(t, marker)))); err == nil {
		_ = syscall.Kill(pid, syscall.SIGKILL) // the actuator, in a group of its own
	}

	w.mustRun(exitRolledBack, "rollback", "--env", "staging", "--approve", "rollback")
	lost := "lock.released LOST staging rollback lock abandoned: "
	var have []string
	eventually(t, 15*time.Second, 100*time.Millisecond, "the rollback's lock.taken and lock.released told", func() bool {
		have = received()
		return slices.ContainsFunc(have, func(s string) bool { return strings.HasPrefix(s, "lock.released  staging rollback") })
	})
	i := slices.IndexFunc(have, func(s string) bool { return strings.HasPrefix(s, lost) })
	taken := slices.IndexFunc(have, func(s string) bool { return strings.HasPrefix(s, "lock.taken  staging rollback") })
	if i < 0 || taken < i {
		t.Fatalf("no lock.released LOST before the rollback's lock.taken; the receiver got:\n%s", strings.Join(have, "\n"))
	}
	if msg := have[i]; !strings.Contains(msg, "pid "+strconv.Itoa(killed)+" took it for S1") || !strings.Contains(msg, "ended without releasing it") {
		t.Errorf("the LOST message does not name the killed S1 (pid %d): %s", killed, msg)
	}
	if n := len(slices.DeleteFunc(slices.Clone(have), func(s string) bool { return !strings.Contains(s, " LOST ") })); n != 1 {
		t.Errorf("%d LOST messages, want only the killed S1's:\n%s", n, strings.Join(have, "\n"))
	}
}

// eventReceiver is a webhook receiver for the json format: each message as
// "kind verdict env step message", in arrival order.
func eventReceiver(t *testing.T) (*httptest.Server, func() []string) {
	var mu sync.Mutex
	var got []string
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		var e notify.Event
		if err := json.Unmarshal(body, &e); err != nil {
			t.Errorf("a message that is not the JSON event: %v: %s", err, body)
		}
		mu.Lock()
		got = append(got, strings.Join([]string{e.Kind, e.Verdict, e.Env, e.Step, e.Message}, " "))
		mu.Unlock()
	}))
	t.Cleanup(receiver.Close)
	return receiver, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(got)
	}
}
