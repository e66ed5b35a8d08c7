package main

import (
	"strings"
	"testing"
)

// The owner's verb on a config whose environment has no timeline database
// is a usage error naming the environment and the fix; status says the
// timeline is off, never that it publishes.
func TestTimelineMigrateWithoutADatabaseSaysWhatToSet(t *testing.T) {
	cfg := healthy().configFile(t)
	_, errOut, code := runCLI(t, false, "timeline", "migrate", "--config", cfg, "--env", "staging")
	if code != exitUsage || !strings.Contains(errOut, `environment "staging" has no shared timeline database`) || !strings.Contains(errOut, "url_env") {
		t.Errorf("timeline migrate without a database: exit %d, want %d naming the environment and url_env:\n%s", code, exitUsage, errOut)
	}
	out, _, _ := runCLI(t, false, "status", "--config", cfg)
	if !strings.Contains(out, "timeline: off: no shared timeline database configured\n") {
		t.Errorf("status without a database does not say the timeline is off:\n%s", out)
	}
}
