package runbook

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/internal/boundedfile"
	"github.com/openagents/cockpit/internal/boundedhttp"
	"github.com/openagents/cockpit/legacyauth"
)

// maxSecretFile bounds a secret file: a signature secret or a database URL
// is far smaller.
const maxSecretFile = 64 << 10

// secretValue reads a secret from the env var or the file the config names.
// The value is trimmed (files end with a newline) and never shown; the
// second result names where it was looked for, for the operator's fix.
// The file is read through boundedfile: a named pipe or a device is refused.
func secretValue(envVar, file string, lookupEnv func(string) (string, bool)) (string, string, error) {
	if file != "" {
		b, _, err := boundedfile.Read(context.Background(), file, boundedfile.Options{MaxBytes: maxSecretFile})
		if err != nil {
			return "", file, fmt.Errorf("reading %s: %w", file, err)
		}
		return strings.TrimSpace(string(b)), file, nil
	}
	if envVar == "" {
		return "", "", nil
	}
	v, _ := lookupEnv(envVar)
	return strings.TrimSpace(v), envVar, nil
}

// legacySecret is the legacy signature secret of env. An unreadable file is
// an error; an unset variable is an empty secret, which the probes turn into
// UNKNOWN "set RUNTIME_SIGNATURE_SECRET" on every legacy check.
func legacySecret(env *config.Environment, lookupEnv func(string) (string, bool)) ([]byte, error) {
	v, _, err := secretValue(env.LegacyRuntime.SignatureSecretEnv, env.LegacyRuntime.SignatureSecretFile, lookupEnv)
	if err != nil {
		return nil, fmt.Errorf("reading the legacy signature secret: %w", err)
	}
	return []byte(v), nil
}

// RuntimeAccess is how a process reaches env's runtimes: the client, whose
// answers are capped at max_response_bytes and whose signed (legacy)
// requests never follow a redirect, the legacy signature secret and the
// per-request timeout. The engine builds its read-only Probes from it, the
// acting path its write probe, so both see the runtimes alike.
type RuntimeAccess struct {
	Env     *config.Environment
	Client  *http.Client
	Secret  []byte
	Timeout time.Duration
	Now     func() time.Time
}

// NewRuntimeAccess reads env's legacy secret (through o.LookupEnv,
// os.LookupEnv when nil) and wraps o.HTTPClient (a new client when nil).
// Of o it reads only HTTPClient, LookupEnv and Now.
func NewRuntimeAccess(cfg *config.Config, env *config.Environment, o EngineOptions) (RuntimeAccess, error) {
	if o.LookupEnv == nil {
		o.LookupEnv = os.LookupEnv
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	secret, err := legacySecret(env, o.LookupEnv)
	if err != nil {
		return RuntimeAccess{}, err
	}
	client := boundedhttp.Wrap(o.HTTPClient, boundedhttp.Options{MaxBytes: cfg.MaxResponseBytes, NoRedirectHeader: legacyauth.Header})
	return RuntimeAccess{Env: env, Client: client, Secret: secret, Timeout: cfg.QueryTimeout.D(), Now: o.Now}, nil
}

// Probes are the read-only probes of the runtimes; they cannot write a run.
func (a RuntimeAccess) Probes() *checks.Probes {
	p := checks.NewProbes(a.Env, a.Client, a.Secret, a.Now)
	p.Timeout = a.Timeout
	return p
}

// databaseURL is the DB role isolation URL of env and where it came from.
func databaseURL(env *config.Environment, lookupEnv func(string) (string, bool)) (string, string, error) {
	v, from, err := secretValue(env.Database.URLEnv, env.Database.URLFile, lookupEnv)
	if err != nil {
		return "", from, fmt.Errorf("reading the database url: %w", err)
	}
	return v, from, nil
}

// rollbackArtifacts observes R4: the newest rollback artifact directory the
// executor wrote under <state_dir>/<env>/artifacts, collected after the last
// rollback started (an older one belongs to an earlier rollback). Collecting
// artifacts is the one rollback item observed on this machine rather than in
// the world.
func rollbackArtifacts(stateDir, env string, now, rollbackStarted time.Time) checks.Result {
	dir := filepath.Join(stateDir, env, "artifacts")
	r := checks.Result{ID: "rollback.artifacts", Title: "rollback artifacts collected", ObservedAt: now,
		Evidence: checks.Evidence{Source: filepath.Join(dir, "rollback-*"), Rule: "a collected artifact directory exists"}}
	matches, err := filepath.Glob(filepath.Join(dir, "rollback-*"))
	if err != nil {
		r.Verdict, r.Evidence.Reason = checks.Unknown, err.Error()
		return r
	}
	var dirs []string
	for _, m := range matches {
		if st, err := os.Stat(m); err == nil && st.IsDir() {
			dirs = append(dirs, m)
		}
	}
	if len(dirs) == 0 {
		r.Verdict, r.Evidence.Value = checks.Fail, "none"
		return r
	}
	// The names end in a UTC timestamp, so the newest sorts last.
	newest := slices.Max(dirs)
	r.Verdict, r.Evidence.Value = checks.Pass, newest
	if st, err := os.Stat(newest); err == nil {
		r.ObservedAt = st.ModTime()
	}
	if r.ObservedAt.Before(rollbackStarted) {
		r.Verdict = checks.Fail
		r.Evidence.Reason = "collected before the last rollback started at " + rollbackStarted.UTC().Format(time.RFC3339)
	}
	return r
}

// SharedTimelineURL is where env's shared timeline lives: its
// shared_timeline database when one is named, else its database; "" when
// none is configured or set.
func SharedTimelineURL(env *config.Environment) string {
	if st := env.SharedTimeline; st.URLEnv != "" || st.URLFile != "" {
		v, _, err := secretValue(st.URLEnv, st.URLFile, os.LookupEnv)
		if err != nil {
			return ""
		}
		return v
	}
	v, _, err := databaseURL(env, os.LookupEnv)
	if err != nil {
		return ""
	}
	return v
}
