package promstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"time"

	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/util/annotations"
)

// Error types and the status codes Prometheus's API pairs with them.
const (
	errBadData   = "bad_data"  // 400
	errExec      = "execution" // 422
	errCanceled  = "canceled"  // 499
	errTimeout   = "timeout"   // 503
	errInternal  = "internal"  // 500
	statusClosed = 499         // nginx's "client closed request", as Prometheus uses
	appName      = "Prometheus Server"
	// engineVersion is the Prometheus release whose promql and chunkenc
	// packages go.mod pins (module v0.316.0 is Prometheus 3.16.0), so
	// clients that gate features on buildinfo see what they will get.
	engineVersion = "3.16.0"
)

// apiError is an API failure in Prometheus's vocabulary.
type apiError struct {
	typ string
	err error
}

func badData(err error) *apiError { return &apiError{errBadData, err} }

func badParam(name string, err error) *apiError {
	return badData(fmt.Errorf("invalid parameter %q: %w", name, err))
}

// apiResult is what an endpoint hands to the response writer.
type apiResult struct {
	data     any
	warnings annotations.Annotations
	query    string // positions in warnings refer to it
	err      *apiError
}

// response is Prometheus's JSON envelope.
type response struct {
	Status    string   `json:"status"`
	Data      any      `json:"data,omitempty"`
	ErrorType string   `json:"errorType,omitempty"`
	Error     string   `json:"error,omitempty"`
	Warnings  []string `json:"warnings,omitempty"`
	Infos     []string `json:"infos,omitempty"`
}

// queryData is the data of a query or query_range answer.
type queryData struct {
	ResultType string          `json:"resultType"`
	Result     json.RawMessage `json:"result"`
}

// Handler serves Prometheus's HTTP API (query, query_range, series, labels,
// label values, buildinfo, metadata) and /-/ready, /-/healthy.
//
// Under SetOutage every request, health included, has its connection
// closed without a response: to client_golang and promtool that is a
// transport error with no HTTP status (`Post "…/api/v1/query": EOF`), which
// is what a crashed or unreachable Prometheus looks like. A dead process
// would refuse the connection instead; the listener belongs to the caller,
// so the store cannot, and both reach the client as a non-HTTP error.
// Under SetSlow every response waits first; a client that gives up gets
// nothing.
func (s *Store) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		mux.HandleFunc(m+" /api/v1/query", s.api(s.query))
		mux.HandleFunc(m+" /api/v1/query_range", s.api(s.queryRange))
		mux.HandleFunc(m+" /api/v1/series", s.api(s.series))
		mux.HandleFunc(m+" /api/v1/labels", s.api(s.labelNames))
	}
	mux.HandleFunc("GET /api/v1/label/{name}/values", s.api(s.labelValues))
	mux.HandleFunc("GET /api/v1/status/buildinfo", s.api(buildInfo))
	mux.HandleFunc("GET /api/v1/metadata", s.api(metadata))
	mux.HandleFunc("GET /-/ready", plain(appName+" is Ready.\n"))
	mux.HandleFunc("GET /-/healthy", plain(appName+" is Healthy.\n"))
	return s.withFaults(mux)
}

// withFaults applies the rehearsal's injected outage and slowness.
func (s *Store) withFaults(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.outage.Load() {
			// net/http closes the connection (HTTP/1) or resets the stream
			// (HTTP/2) without writing a response, and logs nothing.
			panic(http.ErrAbortHandler)
		}
		if d := time.Duration(s.slow.Load()); d > 0 {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
			case <-r.Context().Done():
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func plain(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte(body))
	}
}

// api turns an endpoint into a handler writing Prometheus's envelope.
func (s *Store) api(f func(*http.Request) apiResult) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		res := f(r)
		warn, info := res.warnings.AsStrings(res.query, 10, 10)
		resp := response{Status: "success", Data: res.data, Warnings: warn, Infos: info}
		code := http.StatusOK
		if res.err != nil {
			// Prometheus's error envelope carries no warnings.
			resp = response{Status: "error", ErrorType: res.err.typ, Error: res.err.err.Error()}
			code = errorCode(res.err.typ)
		}
		b, err := json.Marshal(resp)
		if err != nil {
			s.logger.Error("encoding api response", "url", r.URL, "err", err)
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = w.Write(b)
	}
}

func errorCode(typ string) int {
	switch typ {
	case errBadData:
		return http.StatusBadRequest
	case errExec:
		return http.StatusUnprocessableEntity
	case errCanceled:
		return statusClosed
	case errTimeout:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// execError classifies an engine error as Prometheus's returnAPIError does.
func execError(err error) *apiError {
	var (
		canceled promql.ErrQueryCanceled
		timeout  promql.ErrQueryTimeout
		storage  promql.ErrStorage
	)
	switch {
	case errors.As(err, &canceled), errors.Is(err, context.Canceled):
		return &apiError{errCanceled, err}
	case errors.As(err, &timeout):
		return &apiError{errTimeout, err}
	case errors.As(err, &storage):
		return &apiError{errInternal, err}
	default:
		return &apiError{errExec, err}
	}
}

func buildInfo(*http.Request) apiResult {
	return apiResult{data: map[string]string{
		"version":   engineVersion,
		"revision":  "embedded",
		"branch":    "cockpit-sandbox",
		"buildUser": "cockpit",
		"buildDate": "",
		"goVersion": runtime.Version(),
	}}
}

// metadata answers an empty map: the store keeps no HELP/TYPE metadata.
func metadata(*http.Request) apiResult {
	return apiResult{data: map[string]any{}}
}
