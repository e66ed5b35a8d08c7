package sharedlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openagents/cockpit/internal/signing"
	"github.com/openagents/cockpit/internal/skew"
)

// ErrNoObservation is LatestObservation's answer for an environment no
// cockpit has published an observation of.
var ErrNoObservation = errors.New("no shared observation of this environment yet")

// ErrRefused marks a shared observation a follower must not believe (dated
// in the future, too large): it says so and observes on its own.
var ErrRefused = errors.New("feed refused")

// ErrUnverified marks a shared observation no key in team_keys signed for
// the operator it names (unsigned, signed by another key, altered,
// re-dated or copied from another environment): anyone with the operating
// role can write the row, so a follower never renders it, says why and
// observes on its own.
var ErrUnverified = errors.New("feed unverified")

// sqlPublishObservation keeps the last write, which is the newest by the
// database's clock: its trigger stamps received_at with clock_timestamp()
// (migration 00003), so the publisher's observed_at is data, never the
// order, and a row dated 2099 is replaced by the next real round. The
// signature columns (migration 00004) are replaced with the rest: a round
// published unsigned leaves no older signature behind.
const sqlPublishObservation = `WITH up AS (
	INSERT INTO cockpit_observation AS o (env, observed_at, published_at, state, operator, signing_key, signature)
	VALUES ($1, $2, now(), $3, $4, $5, $6)
	ON CONFLICT (env) DO UPDATE
		SET observed_at = EXCLUDED.observed_at, published_at = EXCLUDED.published_at, state = EXCLUDED.state,
			operator = EXCLUDED.operator, signing_key = EXCLUDED.signing_key, signature = EXCLUDED.signature
	RETURNING env)
SELECT pg_notify('cockpit_observation', env) FROM up`

// sqlLatestObservation reads the row with the database's clock, so the
// follower's own clock (ahead or behind) plays no part in its age. state
// is json, its bytes as published: what the signature covers.
const sqlLatestObservation = `SELECT CASE WHEN octet_length(state::text) <= $2 THEN state END,
	observed_at, received_at, clock_timestamp(), coalesce(operator, ''), coalesce(signing_key, ''), signature
FROM cockpit_observation WHERE env = $1`

// Observation is the newest shared observation of an environment.
type Observation struct {
	// State is outside data: clean what is decoded from it
	// (safetext.Strings) before it reaches a screen.
	State []byte
	// ObservedAt is when the publisher says it observed, by its own clock.
	ObservedAt time.Time
	// Operator signed the row with the key team_keys lists for them.
	Operator string
	// ReceivedAt is when the database took the row, by its clock.
	ReceivedAt time.Time
	// Age is, by the database's clock, how old the older of the two is: a
	// publisher whose clock runs behind reads as old, never as fresh.
	Age time.Duration
}

// PublishObservation shares what this cockpit observed of env at
// observedAt (state is JSON, at most MaxRecordBytes, kept byte for byte)
// and notifies the channel cockpit_observation with env. The row is signed
// by signer (nil: unsigned, and no follower renders it), over
// observationSignedBytes. observedAt is kept to the microsecond, as the
// database keeps it. An observedAt beyond maxSkew ahead of the database's
// clock is refused with "in the future (clock skew?)": this machine's
// clock is wrong.
func PublishObservation(ctx context.Context, pool *pgxpool.Pool, env string, observedAt time.Time, state []byte, maxSkew time.Duration, signer *signing.Signer) error {
	if len(state) > MaxRecordBytes || !json.Valid(state) {
		return fmt.Errorf("publishing observation of %s: state is not JSON of at most %d bytes", env, MaxRecordBytes)
	}
	observedAt = observedAt.Truncate(time.Microsecond)
	var operator, key *string
	var sig []byte
	if signer != nil {
		op, pub := signer.Operator, signer.Public()
		operator, key, sig = &op, &pub, signer.Sign(observationSignedBytes(env, op, observedAt, state))
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
	if _, err := pool.Exec(ctx, sqlPublishObservation, env, observedAt, state, operator, key, sig); err != nil {
		return fmt.Errorf("publishing observation of %s: %w", env, err)
	}
	return nil
}

// LatestObservation is the newest shared observation of env, or
// ErrNoObservation. A row dated beyond trust.MaxSkew ahead of the
// database's clock, or larger than MaxRecordBytes, is an error wrapping
// ErrRefused; one not signed by the key trust.Keys lists for the operator
// it names, an error wrapping ErrUnverified. Its state is checked before
// anyone decodes it.
func LatestObservation(ctx context.Context, pool *pgxpool.Pool, env string, trust Trust) (Observation, error) {
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	var o Observation
	var dbNow time.Time
	var key string
	var sig []byte
	err := pool.QueryRow(ctx, sqlLatestObservation, env, MaxRecordBytes).
		Scan(&o.State, &o.ObservedAt, &o.ReceivedAt, &dbNow, &o.Operator, &key, &sig)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return Observation{}, ErrNoObservation
	case err != nil:
		return Observation{}, fmt.Errorf("reading observation of %s: %w", env, err)
	case o.State == nil:
		return Observation{}, fmt.Errorf("%w: state is over %d bytes", ErrRefused, MaxRecordBytes)
	}
	if err := skew.Check("row", o.ObservedAt, dbNow, trust.MaxSkew); err != nil {
		return Observation{}, fmt.Errorf("%w: %w", ErrRefused, err)
	}
	msg := observationSignedBytes(env, o.Operator, o.ObservedAt, o.State)
	if err := trust.Keys.Check(o.Operator, key, msg, sig); err != nil {
		return Observation{}, fmt.Errorf("%w: %w", ErrUnverified, err)
	}
	o.Age = max(dbNow.Sub(o.ReceivedAt), dbNow.Sub(o.ObservedAt), 0)
	return o, nil
}

// observationSignedBytes is what an observation's signature covers: its
// environment, the operator who signs, the publisher's observed_at (to the
// microsecond) and the state's bytes, so a row copied into another
// environment, re-dated, or altered no longer verifies.
func observationSignedBytes(env, operator string, observedAt time.Time, state []byte) []byte {
	head := fmt.Sprintf("cockpit observation v1\nenv %q\noperator %q\nobserved_at %s\n",
		env, operator, observedAt.UTC().Format(time.RFC3339Nano))
	return append([]byte(head), state...)
}

// PublishObservation shares a round of p's environment, signed with the
// key p signs the journal with (unsigned when SignAs was not called or
// failed); see the package's PublishObservation.
func (p *Publisher) PublishObservation(ctx context.Context, observedAt time.Time, state []byte, maxSkew time.Duration) error {
	return PublishObservation(ctx, p.pool, p.env, observedAt, state, maxSkew, p.sign.ownKey())
}
