package legacysim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/openagents/cockpit/legacyauth"
)

// reply is a response rendered under the node's lock and written after.
type reply struct {
	status int
	body   any
}

func phoenixError(status int, detail string) reply {
	return reply{status, map[string]any{"errors": map[string]string{"detail": detail}}}
}

func apiError(status int, code, msg string) reply {
	return reply{status, map[string]any{"error": map[string]string{"code": code, "message": msg}}}
}

const frozenMessage = "Legacy runtime authority writes are frozen. Route writes through Rust runtime authority."

// maxBody mirrors Plug.Parsers' default 8 MB length.
const maxBody = 8 << 20

// serve runs Phoenix's order: body parser (malformed JSON is a 400 before
// routing) → router (404) → accepts json (406) → internal auth over the
// whole /internal/v1 scope (401/403) → write freeze (410) → controller.
func (r *Runtime) serve(w http.ResponseWriter, req *http.Request) {
	if req.URL.Path == "/metrics" && req.Method == http.MethodGet {
		r.metrics.handler().ServeHTTP(w, req)
		return
	}
	start := time.Now()
	rp := r.pipeline(req)
	r.metrics.observe(rp.status, time.Since(start))
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(rp.status)
	_, _ = w.Write(encode(rp.body))
}

// encode renders JSON like Jason: compact, no HTML escaping, no newline.
func encode(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // only maps and structs of plain values are encoded
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

func (r *Runtime) pipeline(req *http.Request) reply {
	params, ok := parseParams(req)
	if !ok {
		return phoenixError(http.StatusBadRequest, "Bad Request")
	}
	pattern, m, caps, ok := routeFor(req.Method, req.URL.Path)
	if !ok {
		return phoenixError(http.StatusNotFound, "Not Found")
	}
	for k, v := range caps {
		params[k] = v
	}
	if !acceptsJSON(req.Header.Get("Accept")) {
		return phoenixError(http.StatusNotAcceptable, "Not Acceptable")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var mismatch *claimMismatch
	if _, err := r.verifier.VerifyWith(req.Header.Get(legacyauth.Header), claimCheck(req, params)); err != nil {
		if errors.As(err, &mismatch) {
			return apiError(http.StatusForbidden, "forbidden", mismatch.Error())
		}
		return apiError(http.StatusUnauthorized, "unauthorized", unauthorizedMessage(req, err))
	}
	if m != nil && r.frozenLocked() && !r.faults.IgnoreFreeze {
		return apiError(http.StatusGone, "write_path_frozen", frozenMessage)
	}
	if m != nil {
		return r.mutate(m, params)
	}
	if pattern == routeHealth {
		return r.healthLocked()
	}
	return r.snapshotLocked(caps["run_id"])
}

// parseParams merges query and JSON body params as Plug does. It reports
// false for a JSON body that does not parse.
func parseParams(req *http.Request) (map[string]any, bool) {
	params := map[string]any{}
	for k, vs := range req.URL.Query() {
		params[k] = vs[len(vs)-1]
	}
	mt, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if req.Body == nil || !(mt == "application/json" || strings.HasSuffix(mt, "+json")) {
		return params, true
	}
	raw, err := io.ReadAll(io.LimitReader(req.Body, maxBody+1))
	if err != nil || len(raw) > maxBody {
		return nil, false
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return params, true
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil || dec.More() {
		return nil, false
	}
	obj, isObj := v.(map[string]any)
	if !isObj {
		obj = map[string]any{"_json": v}
	}
	for k, val := range obj {
		params[k] = val
	}
	return params, true
}

// acceptsJSON is Phoenix's `plug :accepts, ["json"]`: no Accept header,
// a wildcard or a JSON type passes.
func acceptsJSON(accept string) bool {
	if strings.TrimSpace(accept) == "" {
		return true
	}
	for _, part := range strings.Split(accept, ",") {
		mt, _, _ := strings.Cut(part, ";")
		switch mt = strings.ToLower(strings.TrimSpace(mt)); {
		case mt == "*/*", mt == "application/*", mt == "application/json", strings.HasSuffix(mt, "+json"):
			return true
		}
	}
	return false
}

type claimMismatch struct{ claim string }

func (c *claimMismatch) Error() string { return "claim mismatch for " + c.claim }

// claimCheck binds a token to what the request names: run_id (path or
// param), thread_id (param), x-oa-user-id and x-oa-guest-scope (headers).
func claimCheck(req *http.Request, params map[string]any) func(legacyauth.Claims) error {
	return func(c legacyauth.Claims) error {
		if v, ok := params["run_id"]; ok && fmt.Sprint(v) != c.RunID {
			return &claimMismatch{"run_id"}
		}
		if v, ok := params["thread_id"]; ok && fmt.Sprint(v) != c.ThreadID {
			return &claimMismatch{"thread_id"}
		}
		if h := req.Header.Get("x-oa-user-id"); h != "" {
			uid, err := strconv.ParseInt(strings.TrimSpace(h), 10, 64)
			if err != nil || c.UserID == nil || *c.UserID != uid {
				return &claimMismatch{"user_id"}
			}
		}
		if h := req.Header.Get("x-oa-guest-scope"); h != "" && h != c.GuestScope {
			return &claimMismatch{"guest_scope"}
		}
		return nil
	}
}

func unauthorizedMessage(req *http.Request, err error) string {
	if req.Header.Get(legacyauth.Header) == "" {
		return "missing " + legacyauth.Header + " header"
	}
	return "invalid internal runtime signature: " + err.Error()
}
