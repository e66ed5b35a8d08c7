package sharedlog

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openagents/cockpit/internal/signing"
)

// A feed row is followed only when the key team_keys lists for the
// operator it names signed it, over its environment, its observed_at and
// its state's bytes: unsigned, signed by an unlisted key, by another
// operator's key, altered, re-dated, copied from another environment or
// with a broken signature, it is unverified, saying why; alice's next
// round is followed again.
func TestAFeedRowIsFollowedOnlyWhenSignedByTheTeam(t *testing.T) {
	_, pool := migrated(t)
	alice := feedAlice(t)
	bob, err := signing.Load(t.TempDir(), "bob", true)
	if err != nil {
		t.Fatal(err)
	}
	mallory, err := signing.Load(t.TempDir(), "alice", true) // calls herself alice; not listed
	if err != nil {
		t.Fatal(err)
	}
	trust := trusting(t, map[string]string{"alice": alice.Public(), "bob": bob.Public()})
	const firing, allClear = `{"incidents":"firing"}`, `{"incidents":"none"}`
	publish := func(env string, at time.Time, state string, s *signing.Signer) {
		t.Helper()
		if err := PublishObservation(t.Context(), pool, env, at, []byte(state), 5*time.Second, s); err != nil {
			t.Fatalf("publishing: %v", err)
		}
	}
	exec := func(sql string) {
		t.Helper()
		if _, err := pool.Exec(t.Context(), sql); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name  string
		forge func()
		want  string
	}{
		{"unsigned", func() { publish("staging", time.Now(), allClear, nil) }, "feed unverified: unsigned"},
		{"signed by a key not in team_keys", func() { publish("staging", time.Now(), allClear, mallory) },
			"feed unverified: signed by a key not in team_keys (" + mallory.Public()[:20]},
		{"bob's key naming alice", func() {
			publish("staging", time.Now(), allClear, bob)
			exec(`UPDATE cockpit_observation SET operator = 'alice' WHERE env = 'staging'`)
		}, `feed unverified: signed with bob's key but names operator "alice"`},
		{"state altered", func() {
			exec(`UPDATE cockpit_observation SET state = '` + allClear + `' WHERE env = 'staging'`)
		}, "feed unverified: signature does not match"},
		{"state reformatted", func() {
			exec(`UPDATE cockpit_observation SET state = '{ "incidents": "firing" }' WHERE env = 'staging'`)
		}, "feed unverified: signature does not match"},
		{"re-dated", func() {
			exec(`UPDATE cockpit_observation SET observed_at = clock_timestamp() WHERE env = 'staging'`)
		}, "feed unverified: signature does not match"},
		{"another environment's row", func() {
			publish("production", time.Now(), allClear, alice)
			exec(`UPDATE cockpit_observation AS s SET (observed_at, state, operator, signing_key, signature) =
				(SELECT observed_at, state, operator, signing_key, signature FROM cockpit_observation WHERE env = 'production')
				WHERE s.env = 'staging'`)
		}, "feed unverified: signature does not match"},
		{"a broken signature", func() {
			exec(`UPDATE cockpit_observation SET signature = set_byte(signature, 0, (get_byte(signature, 0) + 1) % 256) WHERE env = 'staging'`)
		}, "feed unverified: signature does not match"},
	}
	for _, c := range cases {
		publish("staging", time.Now().Add(-2*time.Second), firing, alice)
		wantVerified(t, pool, trust, "alice", firing)
		c.forge()
		_, err := LatestObservation(t.Context(), pool, "staging", trust)
		if !errors.Is(err, ErrUnverified) || errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	publish("staging", time.Now(), firing, alice)
	wantVerified(t, pool, trust, "alice", firing)
	if _, err := LatestObservation(t.Context(), pool, "staging", trusting(t, map[string]string{"bob": bob.Public()})); !errors.Is(err, ErrUnverified) {
		t.Errorf("alice's round read by a follower listing only bob: %v, want unverified", err)
	}
}

// The operating cockpit signs its rounds with the key its journal is
// signed with (SignAs), and with none when it has no key: followers
// listing that key follow the first and never the second.
func TestThePublisherSignsRoundsWithItsJournalKey(t *testing.T) {
	stateDir := t.TempDir()
	p, aliceKey := signingPublisher(t, machine(t, "staging"), stateDir)
	trust := trusting(t, map[string]string{"alice": aliceKey})
	const state = `{"incidents":"firing"}`
	if err := p.PublishObservation(t.Context(), time.Now(), []byte(state), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	wantVerified(t, p.pool, trust, "alice", state)

	unsigned := newPublisher(t, p.pool, machine(t, "staging"), "staging")
	if err := unsigned.PublishObservation(t.Context(), time.Now(), []byte(state), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := LatestObservation(t.Context(), p.pool, "staging", trust); !errors.Is(err, ErrUnverified) ||
		!strings.Contains(err.Error(), "feed unverified: unsigned") {
		t.Errorf("a round from a publisher without a key: %v, want feed unverified: unsigned", err)
	}
}

// wantVerified reads staging's round through trust: it must be verified,
// signed by operator, and hold state byte for byte.
func wantVerified(t *testing.T, pool *pgxpool.Pool, trust Trust, operator, state string) {
	t.Helper()
	o, err := LatestObservation(t.Context(), pool, "staging", trust)
	if err != nil || o.Operator != operator || string(o.State) != state {
		t.Fatalf("a signed round: %v, operator %q, state %s; want verified, %s, %s", err, o.Operator, o.State, operator, state)
	}
}
