package sharedlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openagents/cockpit/internal/skew"
)

// ErrNoObservation is LatestObservation's answer for an environment no
// cockpit has published an observation of.
var ErrNoObservation = errors.New("no shared observation of this environment yet")

// ErrRefused marks a shared observation a follower must not believe (dated
// in the future, too large): it says so and observes on its own.
var ErrRefused = errors.New("feed refused")

// sqlPublishObservation keeps the last write, which is the newest by the
// database's clock: its trigger stamps received_at with clock_timestamp()
// (migration 00003), so the publisher's observed_at is data, never the
// order, and a row dated 2099 is replaced by the next real round.
const sqlPublishObservation = `WITH up AS (
	INSERT INTO cockpit_observation AS o (env, observed_at, published_at, state)
	VALUES ($1, $2, now(), $3)
	ON CONFLICT (env) DO UPDATE
		SET observed_at = EXCLUDED.observed_at, published_at = EXCLUDED.published_at, state = EXCLUDED.state
	RETURNING env)
SELECT pg_notify('cockpit_observation', env) FROM up`

// sqlLatestObservation reads the row with the database's clock, so the
// follower's own clock (ahead or behind) plays no part in its age.
const sqlLatestObservation = `SELECT CASE WHEN octet_length(state::text) <= $2 THEN state END,
	observed_at, received_at, clock_timestamp()
FROM cockpit_observation WHERE env = $1`

// Observation is the newest shared observation of an environment.
type Observation struct {
	// State is outside data: clean what is decoded from it
	// (safetext.Strings) before it reaches a screen.
	State []byte
	// ObservedAt is when the publisher says it observed, by its own clock.
	ObservedAt time.Time
	// ReceivedAt is when the database took the row, by its clock.
	ReceivedAt time.Time
	// Age is, by the database's clock, how old the older of the two is: a
	// publisher whose clock runs behind reads as old, never as fresh.
	Age time.Duration
}

// PublishObservation shares what this cockpit observed of env at
// observedAt (state is JSON, at most MaxRecordBytes; the database may
// reformat it) and notifies the channel cockpit_observation with env. An
// observedAt beyond maxSkew ahead of the database's clock is refused with
// "in the future (clock skew?)": this machine's clock is wrong.
func PublishObservation(ctx context.Context, pool *pgxpool.Pool, env string, observedAt time.Time, state []byte, maxSkew time.Duration) error {
	if len(state) > MaxRecordBytes || !json.Valid(state) {
		return fmt.Errorf("publishing observation of %s: state is not JSON of at most %d bytes", env, MaxRecordBytes)
	}
	ctx, cancel := context.WithTimeout(ctx, insertTimeout)
	defer cancel()
	var dbNow time.Time
	if err := pool.QueryRow(ctx, "SELECT clock_timestamp()").Scan(&dbNow); err != nil {
		return fmt.Errorf("publishing observation of %s: %w", env, err)
	}
	if err := skew.Check("observation", observedAt, dbNow, maxSkew); err != nil {
		return fmt.Errorf("publishing observation of %s: %w", env, err)
	}
	if _, err := pool.Exec(ctx, sqlPublishObservation, env, observedAt, state); err != nil {
		return fmt.Errorf("publishing observation of %s: %w", env, err)
	}
	return nil
}

// LatestObservation is the newest shared observation of env, or
// ErrNoObservation. A row dated beyond maxSkew ahead of the database's
// clock, or larger than MaxRecordBytes, is an error wrapping ErrRefused.
func LatestObservation(ctx context.Context, pool *pgxpool.Pool, env string, maxSkew time.Duration) (Observation, error) {
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	var o Observation
	var dbNow time.Time
	err := pool.QueryRow(ctx, sqlLatestObservation, env, MaxRecordBytes).Scan(&o.State, &o.ObservedAt, &o.ReceivedAt, &dbNow)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return Observation{}, ErrNoObservation
	case err != nil:
		return Observation{}, fmt.Errorf("reading observation of %s: %w", env, err)
	case o.State == nil:
		return Observation{}, fmt.Errorf("%w: state is over %d bytes", ErrRefused, MaxRecordBytes)
	}
	if err := skew.Check("row", o.ObservedAt, dbNow, maxSkew); err != nil {
		return Observation{}, fmt.Errorf("%w: %w", ErrRefused, err)
	}
	o.Age = max(dbNow.Sub(o.ReceivedAt), dbNow.Sub(o.ObservedAt), 0)
	return o, nil
}
