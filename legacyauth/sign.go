// Package legacyauth implements the legacy runtime's internal request
// signature (the x-oa-runtime-signature header) on both sides: the cockpit's
// probes sign with it, and the simulated legacy runtime verifies it. Keeping
// both in one package means the rehearsal world and production probes can
// never disagree about the wire format.
package legacyauth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// Header is the request header that carries the signature.
const Header = "x-oa-runtime-signature"

// version is the only token format the legacy runtime accepts.
const version = "v1"

// Claims is the signed payload. The optional claims bind a token to one
// run, thread, user or guest scope; the legacy runtime refuses a request
// that names one of those without a matching claim.
type Claims struct {
	IssuedAt   int64  `json:"iat"`
	ExpiresAt  int64  `json:"exp"`
	Nonce      string `json:"nonce"`
	RunID      string `json:"run_id,omitempty"`
	ThreadID   string `json:"thread_id,omitempty"`
	UserID     *int64 `json:"user_id,omitempty"`
	GuestScope string `json:"guest_scope,omitempty"`
}

var b64 = base64.RawURLEncoding

// NewClaims returns claims valid from now for ttl with a fresh random nonce,
// so that every probe is a distinct single-use request.
func NewClaims(now time.Time, ttl time.Duration) Claims {
	var n [16]byte
	// crypto/rand.Read never returns an error on supported platforms.
	_, _ = rand.Read(n[:])
	return Claims{
		IssuedAt:  now.Unix(),
		ExpiresAt: now.Add(ttl).Unix(),
		Nonce:     hex.EncodeToString(n[:]),
	}
}

// Sign renders the header value for c:
// v1.<b64url(payload_json)>.<b64url(HMAC-SHA256(payload_segment, secret))>.
func Sign(secret []byte, c Claims) (string, error) {
	if len(secret) == 0 {
		return "", fmt.Errorf("signing runtime request: empty secret")
	}
	if c.Nonce == "" {
		return "", fmt.Errorf("signing runtime request: empty nonce")
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("signing runtime request: %w", err)
	}
	segment := b64.EncodeToString(payload)
	return version + "." + segment + "." + b64.EncodeToString(mac(secret, segment)), nil
}

// mac is computed over the encoded payload segment, not the raw JSON, as
// the legacy runtime does.
func mac(secret []byte, segment string) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(segment))
	return h.Sum(nil)
}
