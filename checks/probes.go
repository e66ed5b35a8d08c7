package checks

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/internal/boundedfile"
	"github.com/openagents/cockpit/internal/safetext"
	"github.com/openagents/cockpit/legacyauth"
)

// FreezeState is whether a runtime refuses writes, as a safe probe saw it.
type FreezeState int

// Freeze states. The zero value is FreezeUnknown so a probe that could not
// tell never reads as either answer.
const (
	FreezeUnknown FreezeState = iota
	Frozen
	Accepting
)

func (f FreezeState) String() string {
	switch f {
	case Frozen:
		return "frozen"
	case Accepting:
		return "accepting"
	default:
		return "unknown"
	}
}

// MarshalText names the state in JSON.
func (f FreezeState) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// Probes asks the two runtimes where they stand over HTTP. Every probe runs
// under its own timeout and returns a Result that explains itself; none
// writes a run (the safe frozen probes send POSTs a frozen runtime
// refuses). The write probe is WriteProber, a type apart.
type Probes struct {
	env    *config.Environment
	client *http.Client
	secret []byte
	now    func() time.Time
	// Timeout bounds each request; NewProbes sets 5s.
	Timeout time.Duration
}

// NewProbes prepares probes for env. secret signs legacy requests; it is
// never shown. An empty secret makes every legacy probe UNKNOWN.
func NewProbes(env *config.Environment, client *http.Client, secret []byte, now func() time.Time) *Probes {
	if client == nil {
		client = http.DefaultClient
	}
	if now == nil {
		now = time.Now
	}
	return &Probes{env: env, client: client, secret: secret, now: now, Timeout: 5 * time.Second}
}

// reply is one HTTP answer, its body bounded.
type reply struct {
	status int
	body   []byte
	at     time.Time
}

// maxBody bounds what a probe reads; every documented answer is far smaller.
const maxBody = 1 << 20

// side is the runtime a request goes to: it decides which configured
// headers and identity token travel with it.
type side int

const (
	rustSide side = iota
	legacySide
)

// do sends one request to one runtime under the probe timeout, with that
// runtime's configured headers and identity token; header (the legacy
// signature) is added on top.
func (p *Probes) do(ctx context.Context, to side, method, url string, body []byte, header http.Header) (reply, error) {
	ctx, cancel := context.WithTimeout(ctx, p.Timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return reply{}, err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	headers, tokenFile, key := p.runtimeAuth(to)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if tokenFile != "" {
		token, err := readIDToken(ctx, key+".id_token_file", tokenFile)
		if err != nil {
			return reply{at: p.now()}, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	at := p.now()
	resp, err := p.client.Do(req)
	if err != nil {
		return reply{at: at}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return reply{status: resp.StatusCode, at: at}, fmt.Errorf("reading response: %w", err)
	}
	return reply{status: resp.StatusCode, body: b, at: at}, nil
}

// runtimeAuth is what travels with every request to one runtime: its
// configured headers, its identity token file, and its config key.
func (p *Probes) runtimeAuth(to side) (map[string]string, string, string) {
	if to == legacySide {
		return p.env.LegacyRuntime.Headers, p.env.LegacyRuntime.IDTokenFile, "legacy_runtime"
	}
	return p.env.RustRuntime.Headers, p.env.RustRuntime.IDTokenFile, "rust_runtime"
}

// maxIDToken bounds an identity token file: a Google ID token is about 1 KiB.
const maxIDToken = 64 << 10

// configError is a probe that could not be sent because of its own
// configuration (an unreadable token file): no request was made, so the
// reason must not read "no answer".
type configError struct{ msg string }

func (e *configError) Error() string { return e.msg }

// readIDToken reads an identity token fresh for each request (whatever
// refreshes the file may have replaced it), trimmed. Neither the token nor
// any part of the file ever appears in an error. The file is read through
// boundedfile: a named pipe or a hung file system fails the request, named,
// within the request's own deadline.
func readIDToken(ctx context.Context, key, path string) (string, error) {
	fail := func(why string) error {
		return &configError{fmt.Sprintf("cannot read %s %s: %s (refresh it, e.g. gcloud auth print-identity-token > %s)", key, path, why, path)}
	}
	// The path is named once, in fail: drop it from the OS error.
	why := func(err error) string {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return err.Error()
	}
	b, _, err := boundedfile.Read(ctx, path, boundedfile.Options{MaxBytes: maxIDToken})
	var (
		nr *boundedfile.NotRegularError
		tl *boundedfile.TooLargeError
	)
	switch {
	case errors.As(err, &nr):
		return "", fail("is " + nr.Kind + ", not a regular file")
	case errors.As(err, &tl):
		return "", fail(fmt.Sprintf("larger than %d KiB, not an identity token", maxIDToken>>10))
	case err != nil:
		return "", fail(why(err))
	}
	token := strings.TrimSpace(string(b))
	if token == "" {
		return "", fail("the file is empty")
	}
	if strings.ContainsAny(token, "\r\n") {
		return "", fail("more than one line")
	}
	return token, nil
}

// signed sends a legacy request with a fresh single-use signature.
func (p *Probes) signed(ctx context.Context, method, url string, body []byte) (reply, error) {
	if len(p.secret) == 0 {
		return reply{}, fmt.Errorf("no signature secret: set %s", p.secretSource())
	}
	sig, err := legacyauth.Sign(p.secret, legacyauth.NewClaims(p.now(), time.Minute))
	if err != nil {
		return reply{}, err
	}
	return p.do(ctx, legacySide, method, url, body, http.Header{http.CanonicalHeaderKey(legacyauth.Header): {sig}})
}

// secretSource names where the secret should come from, never its value.
func (p *Probes) secretSource() string {
	if f := p.env.LegacyRuntime.SignatureSecretFile; f != "" {
		return "legacy_runtime.signature_secret_file (" + f + ")"
	}
	return p.env.LegacyRuntime.SignatureSecretEnv
}

func (p *Probes) rustURL(path string) string {
	return strings.TrimRight(p.env.RustRuntime.URL, "/") + path
}

func (p *Probes) legacyURL(path string) string {
	return strings.TrimRight(p.env.LegacyRuntime.URL, "/") + path
}

// pathOr is a configured probe path, or its default for an Environment
// built without config.Load.
func pathOr(path, def string) string {
	if path == "" {
		return def
	}
	return path
}

// result starts a Result for a probe of source.
func result(id, title, source string, at time.Time) Result {
	return Result{ID: id, Title: title, ObservedAt: at, Evidence: Evidence{Source: source}}
}

// unreachable is the UNKNOWN for a request that got no answer, or that
// could not be sent because of the probe's own configuration.
func unreachable(r Result, err error) Result {
	r.Verdict = Unknown
	var ce *configError
	if errors.As(err, &ce) {
		r.Evidence.Reason = safetext.Clean(ce.msg)
		return r
	}
	r.Evidence.Reason = "no answer: " + safetext.Clean(err.Error())
	return r
}

// unexpected is the UNKNOWN for an answer no documented state gives.
func unexpected(r Result, rep reply) Result {
	r.Verdict = Unknown
	r.Evidence.Value = fmt.Sprintf("%d %s", rep.status, bodyExcerpt(rep.body))
	r.Evidence.Reason = "unexpected answer"
	return r
}

// maxExcerpt bounds a body shown in evidence, in runes.
const maxExcerpt = 200

// bodyExcerpt renders at most 200 runes of a body on one line, screen-safe:
// a body is whatever the runtime (or what answers in its place) chose to send.
func bodyExcerpt(b []byte) string {
	// Only the head can be shown: do not clean a megabyte to show 200 runes.
	// Escape sequences are dropped, so keep some room for them.
	if len(b) > 64*maxExcerpt {
		b = b[:64*maxExcerpt]
	}
	s := safetext.CleanN(strings.Join(strings.Fields(string(b)), " "), maxExcerpt)
	if strings.TrimSpace(s) == "" {
		return "(empty body)"
	}
	return s
}

// rustError is the Rust runtime's flat error body.
type rustError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// legacyError is the legacy runtime's nested error body.
type legacyError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Errors *struct {
		Detail any `json:"detail"`
	} `json:"errors"`
}

// decode reads a JSON body into v; false when it is not that shape. Every
// string decoded is cleaned for the screen here, where a runtime's text
// enters the cockpit (mode, build_sha, version, status, error messages).
func decode(b []byte, v any) bool {
	if len(b) == 0 || json.Unmarshal(b, v) != nil {
		return false
	}
	safetext.Strings(v)
	return true
}

// newUUID returns a random (v4) UUID. A random run id cannot name a real run,
// so a write aimed at it can never be recorded.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails on supported platforms
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
