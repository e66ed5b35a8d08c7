package legacyauth

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

var (
	testSecret = []byte("test-secret")
	testNow    = time.Unix(1_760_000_000, 0)
)

func fixedClock() time.Time { return testNow }

func mustSign(t *testing.T, secret []byte, c Claims) string {
	t.Helper()
	h, err := Sign(secret, c)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return h
}

// signRaw signs an arbitrary payload, to build tokens Sign refuses to make.
func signRaw(payload string) string {
	seg := b64.EncodeToString([]byte(payload))
	return "v1." + seg + "." + b64.EncodeToString(mac(testSecret, seg))
}

func TestVerify(t *testing.T) {
	good := NewClaims(testNow, time.Minute)
	tests := []struct {
		name   string
		header func(t *testing.T) string
		want   error
	}{
		{"good", func(t *testing.T) string { return mustSign(t, testSecret, good) }, nil},
		{"bad mac", func(t *testing.T) string { return mustSign(t, []byte("other"), good) }, ErrBadSignature},
		{"tampered payload", func(t *testing.T) string {
			h := mustSign(t, testSecret, good)
			parts := strings.Split(h, ".")
			evil := good
			evil.RunID = "someone-else"
			p, _ := json.Marshal(evil)
			return parts[0] + "." + b64.EncodeToString(p) + "." + parts[2]
		}, ErrBadSignature},
		{"expired", func(t *testing.T) string {
			c := NewClaims(testNow.Add(-2*time.Minute), time.Minute)
			return mustSign(t, testSecret, c)
		}, ErrExpired},
		{"expires exactly now", func(t *testing.T) string {
			c := NewClaims(testNow.Add(-time.Minute), time.Minute)
			return mustSign(t, testSecret, c)
		}, ErrExpired},
		{"iat in future beyond skew", func(t *testing.T) string {
			c := NewClaims(testNow.Add(31*time.Second), time.Minute)
			return mustSign(t, testSecret, c)
		}, ErrIssuedInFuture},
		{"iat within skew", func(t *testing.T) string {
			c := NewClaims(testNow.Add(30*time.Second), time.Minute)
			return mustSign(t, testSecret, c)
		}, nil},
		{"exp not after iat", func(t *testing.T) string {
			return signRaw(`{"iat":1760000010,"exp":1760000005,"nonce":"n"}`)
		}, ErrBadWindow},
		{"empty nonce", func(t *testing.T) string {
			return signRaw(`{"iat":1760000000,"exp":1760000060,"nonce":""}`)
		}, ErrMissingNonce},
		{"missing nonce", func(t *testing.T) string {
			return signRaw(`{"iat":1760000000,"exp":1760000060}`)
		}, ErrMissingNonce},
		{"non-integer iat", func(t *testing.T) string {
			return signRaw(`{"iat":1760000000.5,"exp":1760000060,"nonce":"n"}`)
		}, ErrMalformed},
		{"missing exp", func(t *testing.T) string {
			return signRaw(`{"iat":1760000000,"nonce":"n"}`)
		}, ErrMalformed},
		{"wrong version", func(t *testing.T) string {
			return "v2" + strings.TrimPrefix(mustSign(t, testSecret, good), "v1")
		}, ErrMalformed},
		{"two segments", func(t *testing.T) string { return "v1.abc" }, ErrMalformed},
		{"empty", func(t *testing.T) string { return "" }, ErrMalformed},
		{"padded base64", func(t *testing.T) string { return mustSign(t, testSecret, good) + "==" }, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := NewVerifier(testSecret, fixedClock)
			_, err := v.Verify(tt.header(t))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyReturnsClaims(t *testing.T) {
	uid := int64(42)
	c := NewClaims(testNow, time.Minute)
	c.RunID, c.UserID = "run-1", &uid
	got, err := NewVerifier(testSecret, fixedClock).Verify(mustSign(t, testSecret, c))
	if err != nil {
		t.Fatal(err)
	}
	if got.RunID != "run-1" || got.UserID == nil || *got.UserID != 42 || got.Nonce != c.Nonce {
		t.Fatalf("claims = %+v, want run_id, user_id and nonce round-tripped", got)
	}
}

func TestNonceIsSingleUse(t *testing.T) {
	v := NewVerifier(testSecret, fixedClock)
	h := mustSign(t, testSecret, NewClaims(testNow, time.Minute))
	if _, err := v.Verify(h); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if _, err := v.Verify(h); !errors.Is(err, ErrReplayed) {
		t.Fatalf("second use error = %v, want ErrReplayed", err)
	}
}

func TestRefusedRequestDoesNotConsumeNonce(t *testing.T) {
	v := NewVerifier(testSecret, fixedClock)
	h := mustSign(t, testSecret, NewClaims(testNow, time.Minute))
	mismatch := errors.New("claim mismatch for run_id")
	if _, err := v.VerifyWith(h, func(Claims) error { return mismatch }); !errors.Is(err, mismatch) {
		t.Fatalf("VerifyWith error = %v, want the check's error", err)
	}
	if _, err := v.Verify(h); err != nil {
		t.Fatalf("nonce was consumed by a refused request: %v", err)
	}
}

func TestNonceCacheIsBoundedAndForgetsExpired(t *testing.T) {
	now := testNow
	v := NewVerifier(testSecret, func() time.Time { return now }).WithNonceCapacity(2)
	for range 2 {
		if _, err := v.Verify(mustSign(t, testSecret, NewClaims(now, time.Minute))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := v.Verify(mustSign(t, testSecret, NewClaims(now, time.Minute))); !errors.Is(err, ErrNonceCacheFull) {
		t.Fatalf("third live nonce error = %v, want ErrNonceCacheFull", err)
	}
	now = now.Add(2 * time.Minute) // the first two tokens have expired
	if _, err := v.Verify(mustSign(t, testSecret, NewClaims(now, time.Minute))); err != nil {
		t.Fatalf("after expiry the cache should have room: %v", err)
	}
}

func TestSignRefusesEmptySecretOrNonce(t *testing.T) {
	if _, err := Sign(nil, NewClaims(testNow, time.Minute)); err == nil {
		t.Error("Sign with empty secret succeeded")
	}
	if _, err := Sign(testSecret, Claims{IssuedAt: 1, ExpiresAt: 2}); err == nil {
		t.Error("Sign with empty nonce succeeded")
	}
}

func TestSignWireFormat(t *testing.T) {
	c := Claims{IssuedAt: 1, ExpiresAt: 2, Nonce: "n"}
	h := mustSign(t, testSecret, c)
	parts := strings.Split(h, ".")
	if len(parts) != 3 || parts[0] != "v1" || strings.ContainsAny(h, "=+/") {
		t.Fatalf("header %q is not v1.<b64url>.<b64url> without padding", h)
	}
	payload, _ := b64.DecodeString(parts[1])
	if string(payload) != `{"iat":1,"exp":2,"nonce":"n"}` {
		t.Fatalf("payload = %s, optional claims must be omitted", payload)
	}
}
