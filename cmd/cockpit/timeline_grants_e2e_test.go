package main

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/openagents/cockpit/internal/testsvc"
	"github.com/openagents/cockpit/journal"
)

// grantsWorld is a rehearsal world whose staging timeline lives in a
// database of its own (TIMELINE_URL), reached as the roles of
// sharedlog/GRANTS.md, created with exactly its statements.
type grantsWorld struct {
	*e2eWorld
	timelineDB string
	// roles are the roles' login URLs: owner, operator, watcher, and
	// noinsert (an operator the owner granted no INSERT on the journal).
	roles map[string]string
}

func newGrantsWorld(t *testing.T) *grantsWorld {
	t.Helper()
	g := &grantsWorld{timelineDB: testsvc.Postgres(t), roles: map[string]string{}}
	g.e2eWorld = newE2EWorld(t, cockpitBinary(t), func(cfg string) string {
		return strings.Replace(cfg, "\n  staging:\n", "\n  staging:\n    shared_timeline: {url_env: TIMELINE_URL}\n", 1)
	})
	admin := adminConn(t)
	prefix := testsvc.UniqueRolePrefix(t)
	db := pgx.Identifier{databaseName(t, g.timelineDB)}.Sanitize()
	var all []string
	for _, r := range []string{"owner", "operator", "watcher", "noinsert"} {
		id := pgx.Identifier{prefix + r}.Sanitize()
		all = append(all, id)
		mustExec(t, admin, "CREATE ROLE "+id+" LOGIN PASSWORD 'secret'")
		u, err := url.Parse(g.timelineDB)
		if err != nil {
			t.Fatal(err)
		}
		u.User = url.UserPassword(prefix+r, "secret")
		g.roles[r] = u.String()
	}
	// GRANTS.md, as an administrator (noinsert is an operator too).
	mustExec(t, admin, "GRANT CONNECT ON DATABASE "+db+" TO "+strings.Join(all, ", "))
	timeline := connectTo(t, g.timelineDB) // the schema is the database's own
	mustExec(t, timeline, "GRANT USAGE, CREATE ON SCHEMA public TO "+all[0])
	mustExec(t, timeline, "GRANT USAGE ON SCHEMA public TO "+strings.Join(all[1:], ", "))
	return g
}

// grantAsOwner runs GRANTS.md's owner statements, after the migration; the
// noinsert operator is granted everything but INSERT on the journal.
func (g *grantsWorld) grantAsOwner(t *testing.T) {
	t.Helper()
	owner := connectTo(t, g.roles["owner"])
	op, w, no := roleOf(t, g.roles["operator"]), roleOf(t, g.roles["watcher"]), roleOf(t, g.roles["noinsert"])
	mustExec(t, owner, "GRANT SELECT, INSERT ON cockpit_journal TO "+op)
	mustExec(t, owner, "GRANT SELECT, INSERT, UPDATE ON cockpit_observation TO "+op)
	mustExec(t, owner, "GRANT SELECT ON cockpit_journal, cockpit_observation TO "+w)
	mustExec(t, owner, "GRANT SELECT ON cockpit_journal TO "+no)
	mustExec(t, owner, "GRANT SELECT, INSERT, UPDATE ON cockpit_observation TO "+no)
}

// as is the environment of a cockpit whose timeline role is role.
func (g *grantsWorld) as(role string) map[string]string {
	return map[string]string{"DB_URL": g.dbURL, "TIMELINE_URL": g.roles[role]}
}

// TestTheGrantsRolesMigratePublishAndFollow: the roles of GRANTS.md in a
// real PostgreSQL. Before the owner migrates, an operator's cockpit does
// not migrate (it cannot) and says "schema missing or too old", as does a
// watcher's screen; an operator cannot migrate either; the owner's
// `cockpit timeline migrate` does. Then an operator's `run P1` publishes,
// a watcher on another machine reads it with `timeline`, and the
// watcher's screen, started before all this, now follows.
func TestTheGrantsRolesMigratePublishAndFollow(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary on a rehearsal world")
	}
	tmux := toolBinary(t, "tmux", "screen", "apt-get install -y tmux")
	t.Parallel()
	g := newGrantsWorld(t)
	// A watcher's screen started before the owner migrates says so, and
	// follows on its own once the owner has migrated and granted.
	machineB := &e2eWorld{t: t, bin: g.bin, dir: g.dir, config: machineBConfig(t, g.e2eWorld), dbURL: g.dbURL}
	watch := newTmuxScreen(t, tmux, "env", "DB_URL="+g.dbURL, "TIMELINE_URL="+g.roles["watcher"], g.bin, "watch", "--config", machineB.config, "--env", "staging")
	watch.waitFor("the watcher's header saying the timeline is not followed", 30*time.Second, func(s string) bool {
		return strings.Contains(screenLine(s, 0), "timeline: not followed: schema missing or too old")
	})
	wantSchemaMissing := "timeline: not published: schema missing or too old — schema missing or too old: run `cockpit timeline migrate` as the owner"
	if out := g.mustRunStatus(t, "operator", "text"); !strings.Contains(out, wantSchemaMissing) {
		t.Errorf("status before the migration lacks %q:\n%s", wantSchemaMissing, out)
	}
	_, errOut, code := g.cockpitEnv(g.as("operator"), "timeline", "migrate", "--env", "staging")
	if code != exitActionFailed || !strings.Contains(errOut, "permission denied") || !strings.Contains(errOut, "run it as the role that owns the tables") {
		t.Errorf("an operator migrating: exit %d, want %d and permission denied naming the owner's role:\n%s", code, exitActionFailed, errOut)
	}
	if strings.Contains(errOut, "secret") {
		t.Errorf("the migrate error shows the password:\n%s", errOut)
	}
	out := g.mustRunEnv(g.as("owner"), exitOK, "timeline", "migrate", "--env", "staging")
	if !strings.Contains(out, "schema migrated from version 0 to ") {
		t.Errorf("the owner's migrate says: %q", out)
	}
	if out := g.mustRunEnv(g.as("owner"), exitOK, "timeline", "migrate", "--env", "staging"); !strings.Contains(out, "already current") {
		t.Errorf("the owner's second migrate says: %q", out)
	}
	g.grantAsOwner(t)

	if out := g.mustRunStatus(t, "operator", "text"); !strings.Contains(out, "timeline: can publish") {
		t.Errorf("status as the operator after the grants:\n%s", out)
	}
	_, errOut, code = g.cockpitEnv(g.as("operator"), "run", "P1", "--env", "staging", "--approve", "P1")
	if code != exitOK || strings.Contains(errOut, "not published") {
		t.Fatalf("run P1 as the operator: exit %d:\n%s", code, errOut)
	}
	out, errOut, code = machineB.cockpitEnv(g.as("watcher"), "timeline", "--env", "staging", "-o", "json")
	if code != exitOK || !strings.Contains(out, `"step":"P1"`) {
		t.Fatalf("timeline as the watcher on machine B: exit %d, no P1 record:\n%s\n%s", code, out, errOut)
	}
	if _, err := os.Stat(journal.Path(filepath.Join(filepath.Dir(machineB.config), "state"), "staging")); err == nil {
		t.Fatal("machine B has a journal of its own: the test proves nothing")
	}
	if out := g.mustRunStatus(t, "watcher", "text"); !strings.Contains(out, "timeline: not published: permission denied") {
		t.Errorf("status as the watcher does not say it cannot publish:\n%s", out)
	}
	watch.waitFor("the watcher's header clear of the timeline once it follows", 60*time.Second, func(s string) bool {
		head := screenLine(s, 0)
		return strings.Contains(head, "CUTOVER staging") && !strings.Contains(head, "timeline")
	})
	watch.keys("q")
}

// TestAnOperatorWithoutInsertIsToldItPublishesNothing: an operator the
// owner granted no INSERT on cockpit_journal. status (text and JSON), run's
// last words and the operate screen's header say "not published:
// permission denied"; nothing of its reaches the timeline.
func TestAnOperatorWithoutInsertIsToldItPublishesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary and a screen on a rehearsal world")
	}
	tmux := toolBinary(t, "tmux", "screen", "apt-get install -y tmux")
	t.Parallel()
	g := newGrantsWorld(t)
	g.mustRunEnv(g.as("owner"), exitOK, "timeline", "migrate", "--env", "staging")
	g.grantAsOwner(t)

	text := g.mustRunStatus(t, "noinsert", "text")
	if !strings.Contains(text, "timeline: not published: permission denied — permission denied: this role lacks INSERT on cockpit_journal") {
		t.Errorf("status text does not say the timeline is not published:\n%s", text)
	}
	var rep struct{ Timeline timelineReport }
	if err := json.Unmarshal([]byte(g.mustRunStatus(t, "noinsert", "json")), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Timeline.Status != "not published: permission denied" || !strings.Contains(rep.Timeline.Detail, "INSERT on cockpit_journal") {
		t.Errorf("status -o json timeline = %+v", rep.Timeline)
	}
	_, errOut, code := g.cockpitEnv(g.as("noinsert"), "run", "P1", "--env", "staging", "--approve", "P1")
	if code != exitOK || !strings.Contains(errOut, "timeline: not published: permission denied") {
		t.Errorf("run P1 without INSERT: exit %d, and its stderr does not say it published nothing:\n%s", code, errOut)
	}
	if n := sharedCount(t, g.timelineDB); n != 0 {
		t.Errorf("the timeline holds %d records of an operator without INSERT", n)
	}
	bin := g.bin
	op := newTmuxScreen(t, tmux, "env", "DB_URL="+g.dbURL, "TIMELINE_URL="+g.roles["noinsert"], bin, "operate", "--config", g.config, "--env", "staging")
	op.waitFor("the header saying the timeline is not published", 30*time.Second, func(s string) bool {
		return strings.Contains(screenLine(s, 0), "timeline: not published: permission denied")
	})
	op.keys("q")
}

// mustRunStatus is `status -o output` with role's timeline URL; status
// exits 0 on the healthy world.
func (g *grantsWorld) mustRunStatus(t *testing.T, role, output string) string {
	t.Helper()
	return g.mustRunEnv(g.as(role), exitOK, "status", "--env", "staging", "-o", output)
}

func sharedCount(t *testing.T, dbURL string) int {
	t.Helper()
	var n int
	if err := connectTo(t, dbURL).QueryRow(t.Context(), "SELECT count(*) FROM cockpit_journal").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func connectTo(t *testing.T, dbURL string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func mustExec(t *testing.T, conn *pgx.Conn, sql string) {
	t.Helper()
	if _, err := conn.Exec(t.Context(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// roleOf is the role a login URL logs in as, quoted for SQL.
func roleOf(t *testing.T, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	return pgx.Identifier{u.User.Username()}.Sanitize()
}
