package sandbox

import (
	"math/rand/v2"
	"testing"
)

// TestInCanaryBucketsUsersAsTheControlPlaneDoes: the buckets of three users
// under the default seed, computed independently (Python's hashlib:
// int.from_bytes(sha256(b"runtime-canary-v1|user|1").digest()[:4], "big") % 100),
// put each user in a cohort exactly above its bucket, as the control
// plane's PHP and Rust forms do.
func TestInCanaryBucketsUsersAsTheControlPlaneDoes(t *testing.T) {
	for user, bucket := range map[int]int{1: 33, 7: 23, 42: 48} {
		if inCanary(CanarySeed, user, bucket) || !inCanary(CanarySeed, user, bucket+1) {
			t.Errorf("user %d: in the %d%% cohort %v, in the %d%% one %v; want only the second (bucket %d)",
				user, bucket, inCanary(CanarySeed, user, bucket), bucket+1, inCanary(CanarySeed, user, bucket+1), bucket)
		}
	}
	if inCanary(CanarySeed, 1, 0) || !inCanary(CanarySeed, 1, 100) {
		t.Error("0% must hold nobody and 100% everybody")
	}
	if inCanary("another-seed", 1, 34) == inCanary(CanarySeed, 1, 34) && inCanary("another-seed", 7, 24) == inCanary(CanarySeed, 7, 24) &&
		inCanary("another-seed", 42, 49) == inCanary(CanarySeed, 42, 49) {
		t.Error("the seed changes nothing: every user lands where the default seed put it")
	}
}

// TestStickyRoutingKeepsAUserOnOneRuntime: under a sticky cohort a user
// draws the same runtime every time, and about the cohort's share of users
// draws rust; per request the same user draws both.
func TestStickyRoutingKeepsAUserOnOneRuntime(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sticky := routing{percent: 25, seed: CanarySeed}
	rust := 0
	for user := 1; user <= 2000; user++ {
		first := sticky.runtimeFor(user, rng)
		for range 5 {
			if got := sticky.runtimeFor(user, rng); got != first {
				t.Fatalf("user %d drew %s then %s under a sticky cohort", user, first, got)
			}
		}
		if first == "rust" {
			rust++
		}
	}
	if rust < 400 || rust > 600 {
		t.Errorf("%d of 2000 users in the 25%% cohort, want about 500", rust)
	}
	perRequest := routing{percent: 50, perRequest: true, seed: CanarySeed}
	seen := map[string]bool{}
	for range 50 {
		seen[perRequest.runtimeFor(1, rng)] = true
	}
	if !seen["rust"] || !seen["legacy"] {
		t.Errorf("per request, user 1 drew only %v in 50 requests", seen)
	}
}
