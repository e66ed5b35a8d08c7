package lock

import (
	"errors"
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
	if err := release(); err != nil {
		t.Fatalf("release: %v", err)
	}
	again, err := PostgresLock(url, key).Acquire(t.Context(), holder("bob", 456))
	if err != nil {
		t.Fatalf("acquire after release: %v", err)
	}
	_ = again()
}

func TestPostgresLockDifferentEnvironmentsDoNotContend(t *testing.T) {
	t.Parallel()
	url := testsvc.Postgres(t)
	r1, err := PostgresLock(url, EnvKey("staging")).Acquire(t.Context(), holder("alice", 1))
	if err != nil {
		t.Fatal(err)
	}
	defer r1()
	r2, err := PostgresLock(url, EnvKey("production")).Acquire(t.Context(), holder("bob", 2))
	if err != nil {
		t.Fatalf("another environment's key must be free: %v", err)
	}
	_ = r2()
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
