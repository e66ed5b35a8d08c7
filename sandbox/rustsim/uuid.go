package rustsim

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// newUUIDv7 returns an RFC 9562 version 7 UUID: 48 bits of Unix
// milliseconds, then random bits, so ids sort by creation time like the
// runtime's Uuid::now_v7().
func newUUIDv7(now time.Time, rng *rand.Rand) string {
	var b [16]byte
	ms := uint64(now.UnixMilli())
	for i := range 6 {
		b[i] = byte(ms >> (40 - 8*i))
	}
	hi, lo := rng.Uint64(), rng.Uint64()
	for i := range 2 {
		b[6+i] = byte(hi >> (8 * i))
	}
	for i := range 8 {
		b[8+i] = byte(lo >> (8 * i))
	}
	b[6] = 0x70 | b[6]&0x0f // version 7
	b[8] = 0x80 | b[8]&0x3f // RFC 4122 variant
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// parseUUID accepts the hyphenated and simple forms the uuid crate accepts
// and returns the canonical lowercase hyphenated form. Its error text
// follows the crate's, because axum shows it to the client.
func parseUUID(s string) (string, error) {
	raw := s
	if len(s) == 36 {
		if s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
			return "", fmt.Errorf("UUID parsing failed: invalid group count: expected 5, found %d", len(strings.Split(s, "-")))
		}
		raw = strings.ReplaceAll(s, "-", "")
	}
	for i, c := range s {
		if !isHex(c) && c != '-' {
			return "", fmt.Errorf("UUID parsing failed: invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `%c` at %d", c, i+1)
		}
	}
	if len(raw) != 32 || strings.Contains(raw, "-") {
		return "", fmt.Errorf("UUID parsing failed: invalid length: expected length 32 for simple format, found %d", len(s))
	}
	raw = strings.ToLower(raw)
	return raw[0:8] + "-" + raw[8:12] + "-" + raw[12:16] + "-" + raw[16:20] + "-" + raw[20:32], nil
}

func isHex(c rune) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
