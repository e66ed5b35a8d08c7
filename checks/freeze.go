package checks

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// The Result of a freeze probe is about the observation, not the desired
// state: PASS means the probe could tell (read the FreezeState), UNKNOWN that
// it could not, FAIL that the probe itself wrote something, which a safe
// probe must never do. Runbook items decide which state they want.

// RustFrozen posts a valid event to a random run id. Frozen, the authority
// check answers 503 write_path_frozen before any lookup; accepting, the
// unknown run answers 404 not_found. Nothing is written in either state.
func (p *Probes) RustFrozen(ctx context.Context) (FreezeState, Result) {
	url := p.rustURL("/internal/v1/runs/" + newUUID() + "/events")
	r := result("rust_frozen", "rust write path", "POST "+url, p.now())
	body := []byte(`{"event_type":"cockpit.freeze_probe","payload":{"probe":true}}`)
	rep, err := p.do(ctx, rustSide, http.MethodPost, url, body, nil)
	r.ObservedAt = rep.at
	if err != nil {
		return FreezeUnknown, unreachable(r, err)
	}
	r.Evidence.Rule = "503 write_path_frozen = frozen; 404 not_found = accepting"
	var e rustError
	decoded := decode(rep.body, &e)
	switch {
	case rep.status == http.StatusServiceUnavailable && decoded && e.Error == "write_path_frozen":
		r.Verdict, r.Evidence.Value = Pass, "frozen (503 write_path_frozen: "+e.Message+")"
		return Frozen, r
	case rep.status == http.StatusNotFound && decoded && e.Error == "not_found":
		r.Verdict, r.Evidence.Value = Pass, "accepting (404 not_found: nothing written)"
		return Accepting, r
	case rep.status >= 200 && rep.status < 300:
		r.Verdict = Fail
		r.Evidence.Value = fmt.Sprintf("%d %s", rep.status, bodyExcerpt(rep.body))
		r.Evidence.Reason = "the freeze probe WROTE to a run that should not exist: stop and investigate"
		return FreezeUnknown, r
	case rep.status == http.StatusNotFound:
		r = unexpected(r, rep)
		r.Evidence.Reason = "404 without not_found: is rust_runtime.url the runtime's base URL?"
		return FreezeUnknown, r
	}
	return FreezeUnknown, unexpected(r, rep)
}

// LegacyFrozen posts the configured freeze probe, signed with a fresh nonce:
// a well-formed body that fails the route's validation. Frozen answers 410
// write_path_frozen; accepting answers a validation error (400/422) and
// writes nothing. The freeze is checked after internal auth, so a 401 says
// nothing about the freeze.
func (p *Probes) LegacyFrozen(ctx context.Context) (FreezeState, Result) {
	fp := p.env.LegacyRuntime.FreezeProbe
	url := p.legacyURL(fp.Path)
	r := result("legacy_frozen", "legacy write path", "POST "+url+" (signed)", p.now())
	r.Evidence.Rule = "410 write_path_frozen = frozen; 400/422 validation error = accepting"
	if !json.Valid([]byte(fp.Body)) {
		// Malformed JSON is refused by the parser before the freeze is checked.
		r.Evidence.Reason = "legacy_runtime.freeze_probe.body is not valid JSON"
		return FreezeUnknown, r
	}
	rep, err := p.signed(ctx, http.MethodPost, url, []byte(fp.Body))
	r.ObservedAt = rep.at
	if err != nil {
		return FreezeUnknown, unreachable(r, err)
	}
	if res, ok := p.authProblem(r, rep); ok {
		return FreezeUnknown, res
	}
	var e legacyError
	decoded := decode(rep.body, &e)
	switch {
	case rep.status == http.StatusGone && decoded && e.Error.Code == "write_path_frozen":
		r.Verdict, r.Evidence.Value = Pass, "frozen (410 write_path_frozen)"
		return Frozen, r
	case (rep.status == http.StatusBadRequest || rep.status == http.StatusUnprocessableEntity) && decoded && e.Errors != nil && e.Errors.Detail != nil:
		// Phoenix's own error page: the request was refused before the
		// freeze plug, so it tells nothing about the freeze.
		r = unexpected(r, rep)
		r.Evidence.Reason = "refused before the freeze check: fix legacy_runtime.freeze_probe"
		return FreezeUnknown, r
	case rep.status == http.StatusBadRequest || rep.status == http.StatusUnprocessableEntity:
		r.Verdict = Pass
		r.Evidence.Value = fmt.Sprintf("accepting (%d validation error: nothing written)", rep.status)
		return Accepting, r
	case rep.status >= 200 && rep.status < 300:
		r.Verdict = Fail
		r.Evidence.Value = fmt.Sprintf("%d %s", rep.status, bodyExcerpt(rep.body))
		r.Evidence.Reason = "the freeze probe WROTE: legacy_runtime.freeze_probe must fail validation; fix it now"
		return FreezeUnknown, r
	}
	return FreezeUnknown, unexpected(r, rep)
}
