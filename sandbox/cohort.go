package sandbox

import (
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
	"strconv"
)

// CanarySeed is the control plane's default OA_RUNTIME_CANARY_SEED: the
// world's control plane buckets users with it, as the real one does when
// the variable is unset.
const CanarySeed = "runtime-canary-v1"

// Cohort modes, as `ctl state` reports them.
const (
	// CohortSticky is the control plane's per-user cohort
	// (OA_RUNTIME_CANARY_USER_PERCENT): a user's runs all start on one
	// runtime, and each run keeps to the runtime it started on.
	CohortSticky = "sticky per user"
	// CohortPerRequest is a traffic split between the write path's two
	// revisions (`gcloud run services update-traffic --to-tags=rust=N`):
	// every request picks a runtime on its own, so a run's later appends
	// may reach the runtime that never saw it.
	CohortPerRequest = "per request"
)

// inCanary is the control plane's user bucketing, the same in its PHP
// (RuntimeDriverRouter::inCanary) and Rust (runtime_routing::in_canary)
// forms: the first four bytes of sha256("<seed>|user|<id>"), big-endian,
// modulo 100, below the percentage. The world uses it so a cohort in the
// rehearsal holds exactly the users a real one would.
func inCanary(seed string, userID int, percent int) bool {
	switch {
	case percent <= 0:
		return false
	case percent >= 100:
		return true
	}
	sum := sha256.Sum256([]byte(seed + "|user|" + strconv.Itoa(userID)))
	return binary.BigEndian.Uint32(sum[:4])%100 < uint32(percent)
}

// routing is where the control plane sends writes: a percentage of users
// (sticky) or of requests (per request) to rust, the rest to legacy.
type routing struct {
	percent    int
	perRequest bool
	seed       string
}

// runtimeFor picks the runtime for a user's new run, or, per request, for
// any write: "rust" or "legacy".
func (r routing) runtimeFor(userID int, rng *rand.Rand) string {
	rust := inCanary(r.seed, userID, r.percent)
	if r.perRequest {
		rust = rng.IntN(100) < r.percent
	}
	if rust {
		return "rust"
	}
	return "legacy"
}

// mode names the routing for `ctl state`.
func (r routing) mode() string {
	if r.perRequest {
		return CohortPerRequest
	}
	return CohortSticky
}
