package config

import (
	"net/url"
	"regexp"
	"strings"
)

// clientWriteSignals are the signals that judge clients' writes: the
// cockpit's own probes (the safe frozen probes' refused writes, the write
// probe's runs, the health reads) must never be counted in them, or a fully
// cut-over write path reads "96% rust" and a frozen runtime's probe
// refusals read as client errors.
var clientWriteSignals = []string{"rust_write_share", "rust_write_error_rate", "legacy_write_error_rate", "frozen_write_refusals"}

// serviceSelector finds the Cloud Run services a query selects by name.
var serviceSelector = regexp.MustCompile(`service_name="([^"]+)"`)

// runAppSuffix is the rest of a Cloud Run service URL's first DNS label
// after the service name: "-<10-char hash>-<region code>" (…-uc.a.run.app)
// or "-<project number>" (….us-central1.run.app).
var runAppSuffix = regexp.MustCompile(`^-([a-z0-9]{10}-[a-z]{2,4}|[0-9]+)$`)

// runService says whether a *.run.app URL reaches Cloud Run service
// service, directly or through a revision tag ("TAG---service-…").
func runService(rawURL, service string) bool {
	u, err := url.Parse(rawURL)
	if err != nil || !strings.HasSuffix(u.Hostname(), ".run.app") {
		return false
	}
	label, _, _ := strings.Cut(u.Hostname(), ".")
	if _, tagged, ok := strings.Cut(label, "---"); ok {
		label = tagged
	}
	rest, ok := strings.CutPrefix(label, service)
	return ok && runAppSuffix.MatchString(rest)
}

// checkProbesApart refuses a runtime URL on a Cloud Run service that a
// client-write signal counts: the request metrics carry only the service,
// revision and code (docs/runtime-facts.md §6), so the service the probes reach is
// what keeps them out of the signals the cockpit judges.
func (env *Environment) checkProbesApart(e *ValidationError, p string) {
	for _, side := range []struct{ field, url string }{
		{"rust_runtime.url", env.RustRuntime.URL}, {"legacy_runtime.url", env.LegacyRuntime.URL}} {
		if signal, service := env.countingSignal(side.url); signal != "" {
			e.add(p+"."+side.field, "%s reaches Cloud Run service %s, which signals.%s counts as clients' writes: "+
				"the cockpit's probes would count there; point it at the runtime's own service, never the write path",
				side.url, service, signal)
		}
	}
}

// countingSignal is the first client-write signal that counts requests to
// rawURL's Cloud Run service, and that service; "" when none does.
func (env *Environment) countingSignal(rawURL string) (signal, service string) {
	for _, name := range clientWriteSignals {
		if sig := env.Signals[name]; sig != nil {
			for _, m := range serviceSelector.FindAllStringSubmatch(sig.Query, -1) {
				if runService(rawURL, m[1]) {
					return name, m[1]
				}
			}
		}
	}
	return "", ""
}
