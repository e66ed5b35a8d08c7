package main

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/internal/skew"
	"github.com/openagents/cockpit/internal/testsvc"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/sharedlog"
)

// A cockpit started before the owner migrated publishes nothing, says why
// once (not at every retry), and starts on its own once the owner has
// migrated: the journal's records then reach the timeline.
func TestAPublisherWaitsForTheOwnersMigrationAndSaysSoOnce(t *testing.T) {
	dbURL := testsvc.Postgres(t)
	j, err := journal.Open(journal.Path(t.TempDir(), "staging"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Close() })
	j.SetDefaults("staging", "alice", "host-a", "cfg")
	if err := j.Append(journal.Record{Kind: journal.KindProgress, Message: "before the migration"}); err != nil {
		t.Fatal(err)
	}
	log := &testsvc.LockedBuffer{}
	s := startSharing(&config.Config{MaxClockSkew: config.Duration(skew.Default)}, dbURL, "staging", j.Path(), slog.New(slog.NewTextHandler(log, nil)))
	defer s.close()

	eventually(t, 10*time.Second, 20*time.Millisecond, "the header's words for a missing schema", func() bool {
		return s.problem() == "not published: schema missing or too old"
	})
	time.Sleep(900 * time.Millisecond) // a retry or two (backoff from 500 ms): each must stay silent
	if n := strings.Count(log.String(), "timeline: not published"); n != 1 {
		t.Errorf("the missing schema was logged %d times, want once:\n%s", n, log.String())
	}
	if err := sharedlog.Migrate(t.Context(), dbURL); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, 50*time.Millisecond, "the record published once the owner migrated", func() bool {
		recs, err := sharedlog.Read(t.Context(), dbURL, "staging", sharedlog.Trust{})
		return err == nil && len(recs) == 1 && recs[0].Message == "before the migration" && s.problem() == ""
	})
	if !strings.Contains(log.String(), "timeline: working again") {
		t.Errorf("the log does not say publishing works again:\n%s", log.String())
	}
}

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
