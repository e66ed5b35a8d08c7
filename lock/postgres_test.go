package lock

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/internal/testsvc"
)

func TestPostgresLockRefusesASecondSessionNamingTheHolder(t *testing.T) {
	t.Parallel()
	url := testsvc.Postgres(t)
	key := EnvKey("staging-" + t.Name())
	release, err := PostgresLock(url, key).Acquire(t.Context(), holder("alice", 123))
	if err != nil {
		t.Fatalf("first acquire: %v", err)
	}
	_, err = PostgresLock(url, key).Acquire(t.Context(), holder("bob", 456))
	var busy *BusyError
	if !errors.As(err, &busy) {
		t.Fatalf("second acquire: got %v, want BusyError", err)
	}
	if got := busy.Holder; got.Operator != "alice" || got.PID != 123 || got.Step != "S1" || got.Env != "staging" ||
		!got.Since.Equal(holder("", 0).Since) {
		t.Errorf("holder read back from pg_stat_activity = %+v", got)
	}
	if !strings.Contains(busy.Error(), "alice@box pid 123") {
		t.Errorf("refusal %q does not name the holder", busy.Error())
	}
	if err := release.Release(); err != nil {
		t.Fatalf("release: %v", err)
	}
	again, err := PostgresLock(url, key).Acquire(t.Context(), holder("bob", 456))
	if err != nil {
		t.Fatalf("acquire after release: %v", err)
	}
	_ = again.Release()
}

func TestPostgresLockDifferentEnvironmentsDoNotContend(t *testing.T) {
	t.Parallel()
	url := testsvc.Postgres(t)
	r1, err := PostgresLock(url, EnvKey("staging")).Acquire(t.Context(), holder("alice", 1))
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Release()
	r2, err := PostgresLock(url, EnvKey("production")).Acquire(t.Context(), holder("bob", 2))
	if err != nil {
		t.Fatalf("another environment's key must be free: %v", err)
	}
	_ = r2.Release()
}

func TestEncodeHolderFitsApplicationNameAndRoundTrips(t *testing.T) {
	t.Parallel()
	h := Holder{Operator: strings.Repeat("o", 80), Host: strings.Repeat("h", 80), PID: 4194304,
		Env: "production", Step: "rollback", Since: time.Unix(1772373785, 0)}
	s := encodeHolder(h)
	if len(s) > maxAppName {
		t.Fatalf("encoded holder is %d bytes, PostgreSQL keeps %d", len(s), maxAppName)
	}
	got, ok := decodeHolder(s)
	if !ok || got.PID != h.PID || got.Env != h.Env || got.Step != h.Step || !got.Since.Equal(h.Since) ||
		got.Operator == "" || got.Host == "" {
		t.Errorf("decode(%q) = %+v, %v", s, got, ok)
	}
}

// A database that accepts connections and never answers (a hung proxy, a
// stopped VM behind a load balancer) cannot be made by a real PostgreSQL:
// a bare listener stands in. The attempt ends at the caller's deadline.
func TestPostgresLockGivesUpAtTheDeadlineOnASilentDatabase(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // hold it open, say nothing
		}
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := PostgresLock("postgres://x:y@"+ln.Addr().String()+"/db?sslmode=disable", 1).Acquire(ctx, holder("alice", 1))
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("acquired a lock from a database that never answered")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Acquire did not return after its 500ms deadline")
	}
}

// A rollback takes the lock over: it ends the holder's session; the holder
// learns it lost the lock (its Lost channel), and its release says so.
func TestPostgresLockPreemptedHolderLearnsItLostTheLock(t *testing.T) {
	t.Parallel()
	url := testsvc.Postgres(t)
	key := EnvKey("preempt-" + t.Name())
	held, err := PostgresLock(url, key).Acquire(t.Context(), holder("alice", 1))
	if err != nil {
		t.Fatal(err)
	}
	_, err = PostgresLock(url, key).Acquire(t.Context(), Holder{Operator: "bob", Step: "rollback"})
	var busy *BusyError
	if !errors.As(err, &busy) || busy.Session == 0 {
		t.Fatalf("second acquire: %v, want a BusyError naming the session", err)
	}
	if err := PostgresLock(url, key).Preempt(t.Context(), busy); err != nil {
		t.Fatalf("preempt: %v", err)
	}
	select {
	case err := <-held.Lost():
		if !strings.Contains(err.Error(), "session was lost") {
			t.Errorf("lost reason %q", err)
		}
	case <-time.After(15 * pingEvery): // told at a ping; a busy machine delays pings, not the outcome
		t.Fatal("the holder was not told it lost the lock")
	}
	if err := held.Release(); err == nil {
		t.Error("releasing a lock whose session ended reports nothing")
	}
	taken, err := PostgresLock(url, key).Acquire(t.Context(), Holder{Operator: "bob", Step: "rollback"})
	if err != nil {
		t.Fatalf("the rollback cannot take the freed lock: %v", err)
	}
	_ = taken.Release()
}
