package sharedlog

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openagents/cockpit/internal/signing"
)

func TestObservationRoundTrip(t *testing.T) {
	dbURL, pool := migrated(t)
	listener := connect(t, dbURL)
	if _, err := listener.Exec(t.Context(), "LISTEN cockpit_observation"); err != nil {
		t.Fatal(err)
	}

	if _, err := LatestObservation(t.Context(), pool, "staging", feedTrust(t)); !errors.Is(err, ErrNoObservation) {
		t.Fatalf("LatestObservation before any = %v, want ErrNoObservation", err)
	}
	at := time.Now().UTC().Truncate(time.Microsecond)
	publishState(t, pool, "staging", at, `{"write_mode":"rust","cohort":25}`)

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	n, err := listener.WaitForNotification(ctx)
	if err != nil {
		t.Fatalf("no notification on cockpit_observation: %v", err)
	}
	if n.Payload != "staging" {
		t.Errorf("notification payload = %q, want the environment", n.Payload)
	}
	wantState(t, pool, "staging", at, `{"cohort":25,"write_mode":"rust"}`)

	if _, err := LatestObservation(t.Context(), pool, "production", feedTrust(t)); !errors.Is(err, ErrNoObservation) {
		t.Fatalf("another environment's observation = %v, want ErrNoObservation", err)
	}
}

// The feed keeps the newest row by the database's clock: a round whose
// publisher's clock runs a minute behind, written last, replaces the one
// before it, and reads a minute old (never fresher than its own time).
func TestObservationOrderIsTheDatabasesClock(t *testing.T) {
	_, pool := migrated(t)
	now := time.Now().UTC().Truncate(time.Microsecond)
	publishState(t, pool, "staging", now, `{"write_mode":"rust"}`)
	behind := now.Add(-time.Minute)
	publishState(t, pool, "staging", behind, `{"write_mode":"legacy"}`)
	o := wantState(t, pool, "staging", behind, `{"write_mode":"legacy"}`)
	if o.Age < time.Minute || o.Age > 2*time.Minute {
		t.Errorf("age of a round observed a minute ago by its publisher's clock = %s, want ≈1m", o.Age)
	}
	if !o.ReceivedAt.After(now) {
		t.Errorf("received at %v, want the database's time of the last write (after %v)", o.ReceivedAt, now)
	}
}

// A forged row dated 2099, written straight with SQL (received_at forged
// too), is refused by every reader "in the future (clock skew?)"; the
// database stamps its own received_at whatever the writer sent; the next
// real round replaces it. A cockpit whose clock runs ahead is refused at
// publishing and leaves the shared round alone.
func TestAFutureRowIsRefusedAndRealRoundsWinAgain(t *testing.T) {
	_, pool := migrated(t)
	now := time.Now().UTC().Truncate(time.Microsecond)
	publishState(t, pool, "staging", now, `{"incidents":"firing"}`)

	err := PublishObservation(t.Context(), pool, "staging", now.Add(time.Hour), []byte(`{"incidents":"none"}`), 5*time.Second, feedAlice(t))
	if err == nil || !strings.Contains(err.Error(), "in the future (clock skew?)") {
		t.Fatalf("publishing a round dated an hour ahead: %v, want refused in the future (clock skew?)", err)
	}
	wantState(t, pool, "staging", now, `{"incidents":"firing"}`)

	forged := time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := pool.Exec(t.Context(), `UPDATE cockpit_observation SET observed_at = $1, received_at = $1,
		state = '{"incidents":"none"}' WHERE env = 'staging'`, forged); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(t.Context(), `INSERT INTO cockpit_observation (env, observed_at, received_at, state)
		VALUES ('production', now(), $1, '{}')`, forged); err != nil {
		t.Fatal(err)
	}
	var stamped int
	if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM cockpit_observation WHERE received_at < now() + interval '1 minute'`).Scan(&stamped); err != nil || stamped != 2 {
		t.Fatalf("rows whose received_at is the database's clock: %d (%v), want both: a writer cannot choose it", stamped, err)
	}
	_, err = LatestObservation(t.Context(), pool, "staging", feedTrust(t))
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "feed refused: row dated 2099-01-01T00:00:00Z is ") ||
		!strings.Contains(err.Error(), "in the future (clock skew?)") {
		t.Fatalf("reading a row dated 2099: %v, want feed refused … in the future (clock skew?)", err)
	}
	later := time.Now().UTC().Truncate(time.Microsecond)
	publishState(t, pool, "staging", later, `{"incidents":"firing"}`)
	wantState(t, pool, "staging", later, `{"incidents":"firing"}`)
}

func TestObservationRefusesWhatIsNotBoundedJSON(t *testing.T) {
	_, pool := migrated(t)
	for name, state := range map[string]string{
		"not JSON": `{"write_mode":`,
		"too big":  `"` + strings.Repeat("x", MaxRecordBytes) + `"`,
	} {
		if err := PublishObservation(t.Context(), pool, "staging", time.Now(), []byte(state), 0, feedAlice(t)); err == nil {
			t.Errorf("%s: PublishObservation succeeded", name)
		}
	}
	if _, err := LatestObservation(t.Context(), pool, "staging", feedTrust(t)); !errors.Is(err, ErrNoObservation) {
		t.Fatalf("LatestObservation after refused publishes = %v, want ErrNoObservation", err)
	}
}

// publishState publishes a round of env signed by alice (feedAlice).
func publishState(t *testing.T, pool *pgxpool.Pool, env string, at time.Time, state string) {
	t.Helper()
	if err := PublishObservation(t.Context(), pool, env, at, []byte(state), 0, feedAlice(t)); err != nil {
		t.Fatalf("PublishObservation: %v", err)
	}
}

// wantState is env's round as a follower trusting alice reads it, which
// must be verified and hold want.
func wantState(t *testing.T, pool *pgxpool.Pool, env string, wantAt time.Time, want string) Observation {
	t.Helper()
	o, err := LatestObservation(t.Context(), pool, env, feedTrust(t))
	if err != nil {
		t.Fatalf("LatestObservation: %v", err)
	}
	if !o.ObservedAt.Equal(wantAt) {
		t.Errorf("observed at %v, want %v", o.ObservedAt, wantAt)
	}
	state := o.State
	var got, wantV any
	if err := json.Unmarshal(state, &got); err != nil {
		t.Fatalf("state %q is not JSON: %v", state, err)
	}
	if err := json.Unmarshal([]byte(want), &wantV); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, wantV) {
		t.Errorf("state = %s, want %s", state, want)
	}
	return o
}

// feedAlice is alice's key, the same at every call (a fixed seed in a
// fresh state dir), so a test's publisher and its readers agree on it.
func feedAlice(t *testing.T) *signing.Signer {
	t.Helper()
	dir := t.TempDir()
	path := signing.KeyPath(dir, "alice")
	seed := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	if err := errors.Join(os.MkdirAll(filepath.Dir(path), 0o700), os.WriteFile(path, []byte(seed), 0o600)); err != nil {
		t.Fatal(err)
	}
	s, err := signing.Load(dir, "alice", false)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// feedTrust is a follower's trust listing alice's feedAlice key.
func feedTrust(t *testing.T) Trust {
	t.Helper()
	return trusting(t, map[string]string{"alice": feedAlice(t).Public()})
}
