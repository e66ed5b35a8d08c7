package checks

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// RustHealth is what the Rust runtime's /healthz says about itself. The
// write mode is read here: a frozen runtime is still ready, so /readyz
// cannot tell it.
type RustHealth struct {
	Mode         string `json:"authority_write_mode"`
	WriterActive bool   `json:"authority_writer_active"`
	BuildSHA     string `json:"build_sha"`
}

// RustHealth asks GET /healthz, which always answers 200 while the process
// serves. The Result is PASS when it does and the mode is readable.
func (p *Probes) RustHealth(ctx context.Context) (RustHealth, Result) {
	url := p.rustURL(pathOr(p.env.RustRuntime.HealthPath, "/healthz"))
	r := result("rust_health", "rust health", "GET "+url, p.now())
	rep, err := p.do(ctx, rustSide, http.MethodGet, url, nil, nil)
	r.ObservedAt = rep.at
	if err != nil {
		return RustHealth{}, unreachable(r, err)
	}
	var body struct {
		Status string `json:"status"`
		RustHealth
	}
	if rep.status != http.StatusOK || !decode(rep.body, &body) || body.Status != "ok" || body.Mode == "" {
		return RustHealth{}, notThePath(unexpected(r, rep), rep, "rust_runtime.health_path")
	}
	h := body.RustHealth
	r.Verdict = Pass
	r.Evidence.Value = fmt.Sprintf("ok mode=%s writer_active=%t build=%s", h.Mode, h.WriterActive, h.BuildSHA)
	r.Evidence.Rule = "200 status=ok"
	return h, r
}

// RustReadiness asks GET /readyz: 200 ready is PASS, 503 not_ready FAIL
// naming the inputs that are not ready.
func (p *Probes) RustReadiness(ctx context.Context) Result {
	url := p.rustURL(pathOr(p.env.RustRuntime.ReadyPath, "/readyz"))
	r := result("rust_readiness", "rust readiness", "GET "+url, p.now())
	rep, err := p.do(ctx, rustSide, http.MethodGet, url, nil, nil)
	r.ObservedAt = rep.at
	if err != nil {
		return unreachable(r, err)
	}
	var body struct {
		Status         string `json:"status"`
		AuthorityReady *bool  `json:"authority_ready"`
		ProjectorReady *bool  `json:"projector_ready"`
		WorkersReady   *bool  `json:"workers_ready"`
		WriterActive   *bool  `json:"authority_writer_active"`
		FanoutDriver   string `json:"fanout_driver"`
	}
	r.Evidence.Rule = "200 status=ready"
	switch {
	case rep.status == http.StatusOK && decode(rep.body, &body) && body.Status == "ready":
		r.Verdict, r.Evidence.Value = Pass, "ready"
	case rep.status == http.StatusServiceUnavailable && decode(rep.body, &body) && body.Status == "not_ready":
		var down []string
		for name, v := range map[string]*bool{"authority": body.AuthorityReady, "projector": body.ProjectorReady, "workers": body.WorkersReady} {
			if v != nil && !*v {
				down = append(down, name)
			}
		}
		r.Verdict, r.Evidence.Value = Fail, "503 not_ready"
		if len(down) > 0 {
			slices.Sort(down)
			r.Evidence.Value += " (" + strings.Join(down, ", ") + " not ready)"
		}
	default:
		return notThePath(unexpected(r, rep), rep, "rust_runtime.ready_path")
	}
	return r
}

// notThePath explains a 404 from a probe path: Cloud Run answers its own 404
// for some reserved paths ending in z before the container sees them.
func notThePath(r Result, rep reply, key string) Result {
	if rep.status == http.StatusNotFound {
		r.Evidence.Reason = "404: the path does not reach the runtime (Cloud Run reserves some paths ending in z); set " + key
	}
	return r
}

// LegacyHealth asks the legacy runtime's signed GET /internal/v1/health (or
// legacy_runtime.health_path). Unsigned, it only ever answers 401, so the
// signature is part of the probe.
func (p *Probes) LegacyHealth(ctx context.Context) Result {
	url := p.legacyURL(pathOr(p.env.LegacyRuntime.HealthPath, "/internal/v1/health"))
	r := result("legacy_health", "legacy health", "GET "+url+" (signed)", p.now())
	rep, err := p.signed(ctx, http.MethodGet, url, nil)
	r.ObservedAt = rep.at
	if err != nil {
		return unreachable(r, err)
	}
	if res, ok := p.authProblem(r, rep); ok {
		return res
	}
	var body struct {
		Status  string `json:"status"`
		Version string `json:"version"`
	}
	r.Evidence.Rule = "200 status=ok"
	switch {
	case !decode(rep.body, &body) || body.Status == "":
		return unexpected(r, rep)
	case rep.status == http.StatusOK && body.Status == "ok":
		r.Verdict = Pass
		r.Evidence.Value = "ok version=" + body.Version
	default:
		// The runtime answered, signed, and says it is not healthy.
		r.Verdict = Fail
		r.Evidence.Value = fmt.Sprintf("%d status=%s", rep.status, body.Status)
	}
	return r
}

// authProblem turns the legacy runtime's 401/403 into an UNKNOWN that names
// the fix; the signature itself never appears in evidence.
func (p *Probes) authProblem(r Result, rep reply) (Result, bool) {
	var e legacyError
	switch {
	case rep.status == http.StatusUnauthorized:
		r.Verdict = Unknown
		r.Evidence.Value = "401 unauthorized"
		r.Evidence.Reason = "signature rejected: check " + p.secretSource()
		return r, true
	case rep.status == http.StatusForbidden:
		decode(rep.body, &e)
		r.Verdict = Unknown
		r.Evidence.Value = "403 " + e.Error.Code
		r.Evidence.Reason = "signature claims refused: " + e.Error.Message
		return r, true
	case rep.status == http.StatusNotAcceptable:
		r.Verdict = Unknown
		r.Evidence.Value = "406"
		r.Evidence.Reason = "the runtime refused the JSON Accept header"
		return r, true
	}
	return r, false
}
