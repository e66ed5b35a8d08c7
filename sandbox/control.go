package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// control is the world's control API: what `cockpit rehearse ctl` calls, and
// what gcloud is to the real cutover.
type control struct{ w *World }

func newControl(w *World) *control { return &control{w: w} }

// badRequest marks a request the caller must fix (ctl exits 4 on it).
type badRequest struct{ msg string }

func (b badRequest) Error() string { return b.msg }

func refuse(format string, args ...any) error { return badRequest{fmt.Sprintf(format, args...)} }

func (c *control) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /state", c.getState)
	mux.HandleFunc("POST /env/{env}/set-env", c.envCall(func(r *http.Request, e *env, body ctlRequest) (any, error) {
		key, value, err := parseAssignment(body.Assignment)
		if err != nil {
			return nil, refuse("%v", err)
		}
		if body.Runtime != "rust" && body.Runtime != "legacy" {
			return nil, refuse("unknown runtime %q (rust or legacy)", body.Runtime)
		}
		return stateAfter(e, e.setEnv(r.Context(), body.Runtime, key, value))
	}))
	mux.HandleFunc("POST /env/{env}/redeploy", c.envCall(func(r *http.Request, e *env, body ctlRequest) (any, error) {
		if body.Runtime != "rust" && body.Runtime != "legacy" {
			return nil, refuse("unknown runtime %q (rust or legacy)", body.Runtime)
		}
		return stateAfter(e, e.redeploy(r.Context(), body.Runtime))
	}))
	mux.HandleFunc("POST /env/{env}/route-writes", c.envCall(func(r *http.Request, e *env, body ctlRequest) (any, error) {
		if body.Target != "rust" && body.Target != "legacy" {
			return nil, refuse("unknown write target %q (rust or legacy)", body.Target)
		}
		return stateAfter(e, e.routeWrites(r.Context(), body.Target))
	}))
	mux.HandleFunc("POST /env/{env}/cohort", c.envCall(func(r *http.Request, e *env, body ctlRequest) (any, error) {
		if (!e.production && !body.PerRequest) || body.Percent < 0 || body.Percent > 100 {
			return nil, refuse("cohort %d%% in %s: cohorts are production only (a --per-request split is not), 0–100", body.Percent, e.name)
		}
		return stateAfter(e, e.setCohort(r.Context(), body.Percent, body.PerRequest))
	}))
	mux.HandleFunc("POST /env/{env}/fault", c.envCall(func(_ *http.Request, e *env, body ctlRequest) (any, error) {
		if err := CheckFault(body.Name); err != nil {
			return nil, refuse("%v", err)
		}
		return stateAfter(e, e.setFault(body.Name, body.On))
	}))
	mux.HandleFunc("POST /env/{env}/parity-run", c.envCall(func(r *http.Request, e *env, body ctlRequest) (any, error) {
		if err := e.parity.checkOutput(body.Output); err != nil {
			return nil, refuse("%v", err)
		}
		return e.parity.runOnce(r.Context(), body.Output)
	}))
	mux.HandleFunc("POST /env/{env}/parity-capture", c.envCall(func(r *http.Request, e *env, body ctlRequest) (any, error) {
		if body.Output == "" || e.parity.checkOutput(body.Output) != nil {
			return nil, refuse("capture directory %q: pass --out DIR inside the reports directory %s (the cockpit's {{.CaptureDir}})",
				body.Output, e.parity.reportDir)
		}
		return e.parity.captureOnce(r.Context(), body.Output)
	}))
	return mux
}

// ctlRequest is the body of every control call; each uses its own fields.
type ctlRequest struct {
	Runtime    string `json:"runtime,omitempty"`
	Assignment string `json:"assignment,omitempty"`
	Target     string `json:"target,omitempty"`
	Percent    int    `json:"percent,omitempty"`
	PerRequest bool   `json:"per_request,omitempty"` // cohort: split requests, not users
	Name       string `json:"name,omitempty"`
	On         bool   `json:"on,omitempty"`
	Output     string `json:"output,omitempty"` // parity-run: the report's path; parity-capture: the capture directory
}

// ctlError is the control API's error body.
type ctlError struct {
	Error string `json:"error"`
}

func (c *control) getState(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, c.w.State())
}

func (c *control) envCall(f func(*http.Request, *env, ctlRequest) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		e, ok := c.w.envs[r.PathValue("env")]
		if !ok {
			writeJSON(w, http.StatusBadRequest, ctlError{fmt.Sprintf("unknown environment %q (staging or production)", r.PathValue("env"))})
			return
		}
		var body ctlRequest
		if r.ContentLength != 0 {
			if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
				writeJSON(w, http.StatusBadRequest, ctlError{"malformed control request: " + err.Error()})
				return
			}
		}
		out, err := f(r, e, body)
		switch {
		case errors.As(err, new(badRequest)):
			writeJSON(w, http.StatusBadRequest, ctlError{err.Error()})
		case err != nil:
			writeJSON(w, http.StatusBadGateway, ctlError{err.Error()})
		default:
			writeJSON(w, http.StatusOK, out)
		}
	}
}

// State is every environment as `ctl state` reports it.
func (w *World) State() map[string]EnvState {
	out := make(map[string]EnvState, len(w.envs))
	for name, e := range w.envs {
		out[name] = e.state()
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// stateAfter answers a control with the environment's state once it has run.
func stateAfter(e *env, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return e.state(), nil
}

// SetFault switches a fault in one environment, as `ctl fault` does; the
// rehearsal screen's instructor menu calls it.
func (w *World) SetFault(env, name string, on bool) error {
	e, ok := w.envs[env]
	if !ok {
		return fmt.Errorf("unknown environment %q (staging or production)", env)
	}
	return e.setFault(name, on)
}
