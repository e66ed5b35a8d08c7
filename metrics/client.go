package metrics

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	promconfig "github.com/prometheus/common/config"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/internal/boundedfile"
	"github.com/openagents/cockpit/internal/boundedhttp"
	"github.com/openagents/cockpit/internal/safetext"
)

// NewAPI builds a Prometheus query client for one environment. Auth, TLS and
// extra headers go through prometheus/common's HTTP client config, the same
// code Prometheus itself uses to scrape, so TLS options mean what they mean
// in prometheus.yml. The bearer token file is re-read for each request (a
// rotated token is picked up) through internal/boundedfile: a named pipe or
// a hung file system fails the query, named, within its deadline. Every
// response is bounded in size and time (4 MiB and 30 s unless opts say
// otherwise), so a runaway answer is an error, never an OOM or a hang.
func NewAPI(p config.Prometheus, opts ...APIOption) (v1.API, error) {
	if p.URL == "" {
		return nil, errors.New("creating prometheus client: no url configured")
	}
	if _, err := url.Parse(p.URL); err != nil {
		return nil, fmt.Errorf("creating prometheus client: %w", err)
	}
	hc := promconfig.HTTPClientConfig{
		TLSConfig:       p.TLSConfig,
		BasicAuth:       p.BasicAuth,
		FollowRedirects: true,
		EnableHTTP2:     true,
	}
	if len(p.Headers) > 0 {
		hc.HTTPHeaders = &promconfig.Headers{Headers: make(map[string]promconfig.Header, len(p.Headers))}
		for k, v := range p.Headers {
			hc.HTTPHeaders.Headers[k] = promconfig.Header{Values: []string{v}}
		}
	}
	if p.BearerTokenFile != "" {
		hc.Authorization = &promconfig.Authorization{Type: "Bearer", CredentialsRef: p.BearerTokenFile}
	}
	if err := hc.Validate(); err != nil {
		return nil, fmt.Errorf("creating prometheus client: %w", err)
	}
	client, err := promconfig.NewClientFromConfig(hc, "cockpit", promconfig.WithSecretManager(tokenFiles{}))
	if err != nil {
		return nil, fmt.Errorf("creating prometheus client: %w", err)
	}
	var bounds boundedhttp.Options
	for _, o := range opts {
		o(&bounds)
	}
	client = boundedhttp.Wrap(client, bounds)
	c, err := api.NewClient(api.Config{Address: p.URL, Client: client})
	if err != nil {
		return nil, fmt.Errorf("creating prometheus client: %w", err)
	}
	return v1.NewAPI(c), nil
}

// tokenFiles is the secret manager of the bearer token: a reference is a
// file's path, read bounded on each request.
type tokenFiles struct{}

// maxTokenFile bounds a bearer token file: a token is a few KiB at most.
const maxTokenFile = 64 << 10

func (tokenFiles) Fetch(ctx context.Context, path string) (string, error) {
	b, _, err := boundedfile.Read(ctx, path, boundedfile.Options{MaxBytes: maxTokenFile})
	if err != nil {
		return "", fmt.Errorf("reading bearer_token_file: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// QueryError is a failed query with everything Prometheus said about it, so
// the screen can show "bad_data: parse error … (detail)" rather than a bare
// HTTP status.
type QueryError struct {
	Query string
	Type  string // Prometheus's errorType: bad_data, timeout, execution, …; "" for transport errors
	Msg   string
	Err   error
}

func (e *QueryError) Error() string {
	if e.Type == "" {
		return fmt.Sprintf("querying prometheus: %s", e.Msg)
	}
	return fmt.Sprintf("querying prometheus: %s: %s", e.Type, e.Msg)
}

func (e *QueryError) Unwrap() error { return e.Err }

// queryError keeps Prometheus's error type, message and detail together.
// All three are Prometheus's (or a proxy's) words: they are cleaned here for
// the screen, the journal and scripted output alike.
func queryError(query string, err error) *QueryError {
	qe := &QueryError{Query: query, Msg: safetext.Clean(err.Error()), Err: err}
	var pe *v1.Error
	if errors.As(err, &pe) {
		qe.Type = safetext.CleanN(string(pe.Type), maxDetail)
		qe.Msg = safetext.Clean(pe.Msg)
		if d := excerpt(pe.Detail); d != "" && d != qe.Msg {
			qe.Msg += " (" + d + ")"
		}
	}
	return qe
}

// maxDetail bounds an error body shown on one line: a proxy's HTML error
// page must not fill the screen.
const maxDetail = 200

// excerpt is s on one line, screen-safe, at most maxDetail runes.
func excerpt(s string) string {
	if len(s) > 64*maxDetail {
		s = s[:64*maxDetail] // only the head is shown: do not clean a whole page
	}
	return safetext.CleanN(strings.Join(strings.Fields(s), " "), maxDetail)
}
