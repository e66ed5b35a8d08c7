package rustsim

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// marshal renders v the way serde_json does: compact, no HTML escaping.
// Go sorts map keys, which matches serde_json's default BTreeMap objects.
func marshal(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only values built by this package are marshalled; a failure is a bug.
		panic(fmt.Sprintf("rustsim: marshalling %T: %v", v, err))
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// sha256Prefixed is the runtime's hash notation, "sha256:<hex>".
func sha256Prefixed(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// chronoTime serialises like chrono's DateTime<Utc> through serde:
// RFC 3339 with "Z" and a fraction of 0, 3, 6 or 9 digits.
type chronoTime time.Time

func (t chronoTime) MarshalJSON() ([]byte, error) {
	return []byte(`"` + formatChrono(time.Time(t), "Z") + `"`), nil
}

// rfc3339 is chrono's to_rfc3339(), used inside receipts and replays:
// the same digits but "+00:00" instead of "Z".
func rfc3339(t time.Time) string { return formatChrono(t, "+00:00") }

func formatChrono(t time.Time, zone string) string {
	t = t.UTC()
	ns := t.Nanosecond()
	frac := ""
	switch {
	case ns == 0:
	case ns%1_000_000 == 0:
		frac = fmt.Sprintf(".%03d", ns/1_000_000)
	case ns%1_000 == 0:
		frac = fmt.Sprintf(".%06d", ns/1_000)
	default:
		frac = fmt.Sprintf(".%09d", ns)
	}
	return t.Format("2006-01-02T15:04:05") + frac + zone
}

// writeText answers like an axum extractor rejection: plain text, not JSON.
func writeText(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(msg))
}

// apiError is the runtime's flat JSON error body.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) reply() reply {
	if e.code == "not_found" {
		return jsonReply(e.status, map[string]string{"error": e.code})
	}
	return jsonReply(e.status, map[string]string{"error": e.code, "message": e.message})
}

// reply is a response rendered while the runtime's lock is held and
// written after it is released, so a slow client never stalls the runtime.
type reply struct {
	status      int
	contentType string
	body        []byte
}

func jsonReply(status int, v any) reply {
	return reply{status: status, contentType: "application/json", body: marshal(v)}
}

func (rp reply) write(w http.ResponseWriter) {
	w.Header().Set("Content-Type", rp.contentType)
	w.WriteHeader(rp.status)
	_, _ = w.Write(rp.body)
}

func errNotFound() *apiError { return &apiError{status: http.StatusNotFound, code: "not_found"} }

func errInvalid(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "invalid_request", message: msg}
}

func errForbidden(msg string) *apiError {
	return &apiError{status: http.StatusForbidden, code: "forbidden", message: msg}
}

func errConflict(msg string) *apiError {
	return &apiError{status: http.StatusConflict, code: "conflict", message: msg}
}

func errInternal(msg string) *apiError {
	return &apiError{status: http.StatusInternalServerError, code: "internal", message: msg}
}

func errFrozen(mode string) *apiError {
	return &apiError{
		status:  http.StatusServiceUnavailable,
		code:    "write_path_frozen",
		message: "runtime authority writes are disabled in mode " + mode,
	}
}
