package legacyauth

import (
	"bytes"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// The reasons a signature is refused. The legacy runtime answers all of
// them with 401; callers that need the reason can use errors.Is.
var (
	ErrMalformed      = errors.New("malformed signature")
	ErrBadSignature   = errors.New("signature mismatch")
	ErrExpired        = errors.New("token expired")
	ErrIssuedInFuture = errors.New("token issued in the future")
	ErrBadWindow      = errors.New("token expires before it was issued")
	ErrMissingNonce   = errors.New("token nonce missing")
	ErrReplayed       = errors.New("token nonce already used")
	ErrNonceCacheFull = errors.New("nonce cache full")
)

// maxClockSkew is how far in the future iat may be.
const maxClockSkew = 30 * time.Second

// DefaultNonceCapacity bounds the nonce cache so a flood of valid tokens
// cannot grow memory without limit.
const DefaultNonceCapacity = 100_000

// Verifier checks signatures and remembers nonces until their tokens
// expire, so each token is accepted once. It is safe for concurrent use.
type Verifier struct {
	secret   []byte
	now      func() time.Time
	mu       sync.Mutex
	nonces   map[string]int64 // nonce → exp (unix seconds)
	capacity int
}

// NewVerifier returns a verifier for secret that reads the clock from now.
func NewVerifier(secret []byte, now func() time.Time) *Verifier {
	return &Verifier{
		secret:   bytes.Clone(secret),
		now:      now,
		nonces:   make(map[string]int64),
		capacity: DefaultNonceCapacity,
	}
}

// WithNonceCapacity sets how many unexpired nonces are remembered. When the
// cache is full of live nonces a new token is refused (fail closed) rather
// than forgetting a nonce that could then be replayed.
func (v *Verifier) WithNonceCapacity(n int) *Verifier {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.capacity = max(n, 1)
	return v
}

// Verify checks header and consumes its nonce.
func (v *Verifier) Verify(header string) (Claims, error) {
	return v.VerifyWith(header, nil)
}

// VerifyWith checks header, then runs check (if non-nil) on the claims, and
// only then consumes the nonce: a token refused for any reason, including a
// claim mismatch found by check, can still be used for a correct request.
func (v *Verifier) VerifyWith(header string, check func(Claims) error) (Claims, error) {
	c, err := v.parse(header)
	if err != nil {
		return Claims{}, err
	}
	now := v.now().Unix()
	switch {
	case c.ExpiresAt <= now:
		return Claims{}, ErrExpired
	case c.IssuedAt > now+int64(maxClockSkew/time.Second):
		return Claims{}, ErrIssuedInFuture
	case c.ExpiresAt <= c.IssuedAt:
		return Claims{}, ErrBadWindow
	case c.Nonce == "":
		return Claims{}, ErrMissingNonce
	}
	if check != nil {
		if err := check(c); err != nil {
			return Claims{}, err
		}
	}
	if err := v.consume(c.Nonce, c.ExpiresAt, now); err != nil {
		return Claims{}, err
	}
	return c, nil
}

// parse checks the format and MAC and decodes the claims.
func (v *Verifier) parse(header string) (Claims, error) {
	parts := strings.Split(strings.TrimSpace(header), ".")
	if len(parts) != 3 || parts[0] != version || parts[1] == "" || parts[2] == "" {
		return Claims{}, ErrMalformed
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil {
		return Claims{}, fmt.Errorf("%w: signature segment: %v", ErrMalformed, err)
	}
	if !hmac.Equal(sig, mac(v.secret, parts[1])) {
		return Claims{}, ErrBadSignature
	}
	payload, err := b64.DecodeString(parts[1])
	if err != nil {
		return Claims{}, fmt.Errorf("%w: payload segment: %v", ErrMalformed, err)
	}
	// Pointers tell a missing iat/exp from a zero one.
	var raw struct {
		IssuedAt  *int64  `json:"iat"`
		ExpiresAt *int64  `json:"exp"`
		Nonce     *string `json:"nonce"`
		Claims
	}
	if err := json.Unmarshal(payload, &raw); err != nil {
		return Claims{}, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	if raw.IssuedAt == nil || raw.ExpiresAt == nil {
		return Claims{}, fmt.Errorf("%w: iat and exp are required", ErrMalformed)
	}
	c := raw.Claims
	c.IssuedAt, c.ExpiresAt = *raw.IssuedAt, *raw.ExpiresAt
	if raw.Nonce != nil {
		c.Nonce = *raw.Nonce
	}
	return c, nil
}

// consume records nonce until exp, refusing one already seen.
func (v *Verifier) consume(nonce string, exp, now int64) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if seenExp, ok := v.nonces[nonce]; ok && seenExp > now {
		return ErrReplayed
	}
	if len(v.nonces) >= v.capacity {
		for n, e := range v.nonces {
			if e <= now {
				delete(v.nonces, n)
			}
		}
		if len(v.nonces) >= v.capacity {
			return ErrNonceCacheFull
		}
	}
	v.nonces[nonce] = exp
	return nil
}
