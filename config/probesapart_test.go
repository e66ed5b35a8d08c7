package config

import (
	"strings"
	"testing"
)

// A probe URL on the write path's service (here legacy through the
// runtime-writes tag, as a new user may copy it from the console) would
// put the cockpit's own probes in the signals it judges: refused, naming
// the field, the service and the signal; the runtimes' own services pass,
// in both Cloud Run URL forms.
func TestProbesMustNotGoThroughTheWritePath(t *testing.T) {
	env := func(rust, legacy string) string {
		return "environments:\n  staging:\n    prometheus: {url: \"http://127.0.0.1:9090\"}\n" +
			"    rust_runtime: {url: \"" + rust + "\"}\n    legacy_runtime: {url: \"" + legacy + "\"}\n"
	}
	for _, ok := range []string{
		env("https://runtime-abcdefghij-uc.a.run.app", "https://runtime-legacy-abcdefghij-uc.a.run.app"),
		env("https://runtime-123456789.us-central1.run.app", "https://legacy---runtime-legacy-abcdefghij-uc.a.run.app"),
		env("http://127.0.0.1:4100", "http://127.0.0.1:4000"),
	} {
		if msg := problems(t, ok); msg != "" {
			t.Errorf("the runtimes' own services refused:\n%s\n%s", ok, msg)
		}
	}
	msg := problems(t, env("https://runtime-abcdefghij-uc.a.run.app", "https://legacy---runtime-writes-abcdefghij-uc.a.run.app"))
	wantProblems(t, msg, "environments.staging.legacy_runtime.url: https://legacy---runtime-writes-abcdefghij-uc.a.run.app reaches Cloud Run service runtime-writes",
		"signals.rust_write_share counts as clients' writes", "point it at the runtime's own service")
	if strings.Contains(msg, "rust_runtime.url") {
		t.Errorf("the rust runtime's own service refused:\n%s", msg)
	}
	msg = problems(t, env("https://runtime-writes-123456789.us-central1.run.app", "http://127.0.0.1:4000"))
	wantProblems(t, msg, "environments.staging.rust_runtime.url: https://runtime-writes-123456789.us-central1.run.app reaches Cloud Run service runtime-writes")
}

// One problem per URL, however many signals count its service.
func TestAProbeOnTheWritePathIsOneProblem(t *testing.T) {
	msg := problems(t, "environments:\n  staging:\n    prometheus: {url: \"http://127.0.0.1:9090\"}\n"+
		"    rust_runtime: {url: \"https://rust---runtime-writes-abcdefghij-uc.a.run.app\"}\n    legacy_runtime: {url: \"http://127.0.0.1:4000\"}\n")
	if n := strings.Count(msg, "reaches Cloud Run service"); n != 1 {
		t.Errorf("%d problems, want 1:\n%s", n, msg)
	}
}
