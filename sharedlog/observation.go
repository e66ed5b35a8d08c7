package sharedlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrNoObservation is LatestObservation's answer for an environment no
// cockpit has published an observation of.
var ErrNoObservation = errors.New("no shared observation of this environment yet")

// sqlPublishObservation keeps the newest observation: one observed
// earlier, arriving late from a slower cockpit, does not replace it.
const sqlPublishObservation = `WITH up AS (
	INSERT INTO cockpit_observation AS o (env, observed_at, published_at, state)
	VALUES ($1, $2, now(), $3)
	ON CONFLICT (env) DO UPDATE
		SET observed_at = EXCLUDED.observed_at, published_at = EXCLUDED.published_at, state = EXCLUDED.state
		WHERE o.observed_at <= EXCLUDED.observed_at
	RETURNING env)
SELECT pg_notify('cockpit_observation', env) FROM up`

const sqlLatestObservation = `SELECT CASE WHEN octet_length(state::text) <= $2 THEN state END, observed_at
FROM cockpit_observation WHERE env = $1`

// PublishObservation shares what this cockpit observed of env at
// observedAt (state is JSON, at most MaxRecordBytes; the database may
// reformat it) and notifies the channel cockpit_observation with env.
// An observation older than the one already shared is dropped.
func PublishObservation(ctx context.Context, pool *pgxpool.Pool, env string, observedAt time.Time, state []byte) error {
	if len(state) > MaxRecordBytes || !json.Valid(state) {
		return fmt.Errorf("publishing observation of %s: state is not JSON of at most %d bytes", env, MaxRecordBytes)
	}
	ctx, cancel := context.WithTimeout(ctx, insertTimeout)
	defer cancel()
	if _, err := pool.Exec(ctx, sqlPublishObservation, env, observedAt, state); err != nil {
		return fmt.Errorf("publishing observation of %s: %w", env, err)
	}
	return nil
}

// LatestObservation is the newest shared observation of env and when it
// was observed, or ErrNoObservation. The state is outside data: clean what
// is decoded from it (safetext.Strings) before it reaches a screen.
func LatestObservation(ctx context.Context, pool *pgxpool.Pool, env string) (state []byte, observedAt time.Time, err error) {
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	err = pool.QueryRow(ctx, sqlLatestObservation, env, MaxRecordBytes).Scan(&state, &observedAt)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, time.Time{}, ErrNoObservation
	case err != nil:
		return nil, time.Time{}, fmt.Errorf("reading observation of %s: %w", env, err)
	case state == nil:
		return nil, time.Time{}, fmt.Errorf("reading observation of %s: state is over %d bytes", env, MaxRecordBytes)
	}
	return state, observedAt, nil
}
