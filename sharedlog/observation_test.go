package sharedlog

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

func TestObservationRoundTrip(t *testing.T) {
	dbURL, pool := migrated(t)
	listener := connect(t, dbURL)
	if _, err := listener.Exec(t.Context(), "LISTEN cockpit_observation"); err != nil {
		t.Fatal(err)
	}

	if _, _, err := LatestObservation(t.Context(), pool, "staging"); !errors.Is(err, ErrNoObservation) {
		t.Fatalf("LatestObservation before any = %v, want ErrNoObservation", err)
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 123456000, time.UTC)
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

	// A slower cockpit's older observation does not replace a newer one.
	publishState(t, pool, "staging", at.Add(-time.Minute), `{"write_mode":"legacy"}`)
	wantState(t, pool, "staging", at, `{"cohort":25,"write_mode":"rust"}`)
	later := at.Add(time.Minute)
	publishState(t, pool, "staging", later, `{"write_mode":"rust","cohort":50}`)
	wantState(t, pool, "staging", later, `{"cohort":50,"write_mode":"rust"}`)

	if _, _, err := LatestObservation(t.Context(), pool, "production"); !errors.Is(err, ErrNoObservation) {
		t.Fatalf("another environment's observation = %v, want ErrNoObservation", err)
	}
}

func TestObservationRefusesWhatIsNotBoundedJSON(t *testing.T) {
	_, pool := migrated(t)
	for name, state := range map[string]string{
		"not JSON": `{"write_mode":`,
		"too big":  `"` + strings.Repeat("x", MaxRecordBytes) + `"`,
	} {
		if err := PublishObservation(t.Context(), pool, "staging", time.Now(), []byte(state)); err == nil {
			t.Errorf("%s: PublishObservation succeeded", name)
		}
	}
	if _, _, err := LatestObservation(t.Context(), pool, "staging"); !errors.Is(err, ErrNoObservation) {
		t.Fatalf("LatestObservation after refused publishes = %v, want ErrNoObservation", err)
	}
}

func publishState(t *testing.T, pool *pgxpool.Pool, env string, at time.Time, state string) {
	t.Helper()
	if err := PublishObservation(t.Context(), pool, env, at, []byte(state)); err != nil {
		t.Fatalf("PublishObservation: %v", err)
	}
}

func wantState(t *testing.T, pool *pgxpool.Pool, env string, wantAt time.Time, want string) {
	t.Helper()
	state, at, err := LatestObservation(t.Context(), pool, env)
	if err != nil {
		t.Fatalf("LatestObservation: %v", err)
	}
	if !at.Equal(wantAt) {
		t.Errorf("observed at %v, want %v", at, wantAt)
	}
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
}
