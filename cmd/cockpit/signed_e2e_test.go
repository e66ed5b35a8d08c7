package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/sharedlog"
)

// forgedStagingRunbook is staging's whole runbook as twelve journal
// records, as alice's cockpit on laptop-a would journal it: S1 setting the
// promoted values, S2 with its write probe, S3, V2–V4.
func forgedStagingRunbook(at time.Time) []journal.Record {
	ok := true
	rec := func(i int, kind, step, check string) journal.Record {
		return journal.Record{Time: at.Add(time.Duration(i) * time.Second), Kind: kind, Env: "staging", Operator: "alice",
			Host: "laptop-a", PID: 4242, Step: step, Check: check, OK: &ok}
	}
	recs := []journal.Record{rec(0, journal.KindApproval, "S1", ""),
		rec(1, journal.KindIntent, "S1", "set_rust_write_mode=rust_active")}
	recs[0].OK, recs[1].OK, recs[1].Argv = nil, nil, []string{"ctl", "mode"}
	for i, sub := range []string{"set_rust_write_mode=rust_active", "route_writes=rust", "set_legacy_freeze=true"} {
		recs = append(recs, rec(2+i, journal.KindOutcome, "S1", sub))
	}
	recs = append(recs, rec(5, journal.KindOutcome, "S1", ""), rec(6, journal.KindOutcome, "S2", "write_probe"),
		rec(7, journal.KindOutcome, "S2", ""))
	for i, id := range []string{"S3", "V2", "V3", "V4"} {
		recs = append(recs, rec(8+i, journal.KindOutcome, id, ""))
	}
	return recs
}

// teamConfig is a config with team_keys listing alice's key (as `cockpit
// key` printed it on her machine).
func teamConfig(t *testing.T, path, aliceKey string) string {
	t.Helper()
	return editedConfig(t, path, func(cfg string) string {
		return cfg + "\nteam_keys:\n  alice: " + aliceKey + "\n"
	})
}

// operatorConfig is a copy of path whose cockpit acts as operator.
func operatorConfig(t *testing.T, path, operator string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "as-"+operator+".yaml")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, append([]byte("operator: "+operator+"\n"), raw...), 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestForgedRowsNeverOpenProductionsS4: twelve rows claiming staging's
// whole runbook by alice, INSERTed by SQL (unsigned), and the same twelve
// published by a cockpit whose "alice" key the team does not list: machine
// B, which lists alice's real key, is refused production's S4, and its
// timeline shows each row as unverified (origin, host). The same claim in
// B's own journal is refused too: staging is observed not cut over. Once
// alice runs staging's runbook for real, B runs S4.
func TestForgedRowsNeverOpenProductionsS4(t *testing.T) {
	if testing.Short() {
		t.Skip("runs staging's runbook and production's S4 on a rehearsal world")
	}
	t.Parallel()
	e := newE2EWorld(t, cockpitBinary(t), shortS4(t, func(cfg string) string { return "operator: alice\n" + cfg }))
	aliceKey, _, code := e.cockpit("key")
	if code != 0 || !strings.HasPrefix(aliceKey, "ed25519:") {
		t.Fatalf("cockpit key: exit %d: %q", code, aliceKey)
	}
	b := &e2eWorld{t: t, bin: e.bin, dir: e.dir, dbURL: e.dbURL, config: teamConfig(t, machineBConfig(t, e), strings.TrimSpace(aliceKey))}
	if err := sharedlog.Migrate(t.Context(), e.dbURL); err != nil {
		t.Fatal(err)
	}
	forged := forgedStagingRunbook(time.Now().Add(-10 * time.Minute))
	conn, err := pgx.Connect(t.Context(), e.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	for i, r := range forged {
		raw, _ := json.Marshal(r)
		if _, err := conn.Exec(t.Context(), `INSERT INTO cockpit_journal (env, origin, origin_offset, record) VALUES ('staging', 'FORGED', $1, $2)`, i, raw); err != nil {
			t.Fatal(err)
		}
	}
	// Mallory's machine calls itself alice: its key is not the listed one.
	mallory := &e2eWorld{t: t, bin: e.bin, dir: e.dir, dbURL: e.dbURL, config: machineBConfig(t, e)}
	malloryJournal := journal.Path(filepath.Join(filepath.Dir(mallory.config), "state"), "staging")
	appendForged(t, malloryJournal, forged)
	mallory.mustRun(exitOK, "run", "P1", "--env", "staging", "--approve", "P1") // publishes its journal, signed
	eventually(t, 20*time.Second, 200*time.Millisecond, "mallory's rows in the shared timeline", func() bool {
		recs, err := sharedlog.Read(t.Context(), e.dbURL, "staging", sharedlog.Trust{})
		return err == nil && len(recs) >= 2*len(forged)
	})

	s4 := []string{"run", "S4", "--env", "production", "--approve", "S4", "--confirm-env", "production"}
	if _, errOut, code := b.cockpit(s4...); code != exitNeedsApproval || !strings.Contains(errOut, "staging.done") || !strings.Contains(errOut, "S1 not done") {
		t.Fatalf("S4 on machine B with 24 forged staging rows: exit %d, want 3 on staging.done (S1 not done):\n%s", code, errOut)
	}
	if st := e.state("production"); len(st.Controls) != 0 {
		t.Fatalf("a refused S4 applied controls: %v", st.Controls)
	}
	unverified := map[string]int{}
	for _, r := range b.timeline("staging") {
		if r.Shared != nil && !r.Shared.Verified {
			unverified[r.Shared.Origin+" "+r.Shared.Problem[:min(len(r.Shared.Problem), 24)]]++
		}
	}
	if unverified["FORGED unsigned"] != len(forged) || len(unverified) != 2 {
		t.Errorf("machine B's timeline marks %v unverified, want the 12 unsigned rows and mallory's signed by an unknown key", unverified)
	}
	text := b.mustRun(exitOK, "timeline", "--env", "staging")
	if !strings.Contains(text, "unverified (FORGED, laptop-a): unsigned") {
		t.Errorf("timeline text does not mark a forged row unverified (origin, host):\n%s", text)
	}

	// Even B's own journal (trusted) claiming staging's runbook is only a
	// claim: staging is observed not cut over, and S4 stays refused.
	appendForged(t, journal.Path(filepath.Join(filepath.Dir(b.config), "state"), "staging"), forged)
	if _, errOut, code := b.cockpit(s4...); code != exitNeedsApproval || !strings.Contains(errOut, "staging now: S1 FAIL now") {
		t.Fatalf("S4 with staging's runbook in B's own journal, staging not cut over: exit %d, want 3 naming staging now:\n%s", code, errOut)
	}

	for _, item := range []string{"S1", "S2", "S3", "V2", "V3", "V4"} {
		e.mustRun(exitOK, "run", item, "--env", "staging", "--approve", item)
	}
	b.mustRun(exitOK, s4...)
	if st := e.state("production"); st.CohortPercent != 100 || st.WriteTarget != "rust" {
		t.Fatalf("after S4 on machine B production is %+v", st)
	}
}

// appendForged writes records into a journal file as a cockpit would.
func appendForged(t *testing.T, path string, recs []journal.Record) {
	t.Helper()
	j, err := journal.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = j.Close() }()
	for _, r := range recs {
		if err := j.Append(r); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAFutureApprovalLeavesTwoWritersFiringOnAWatcher: with both runtimes
// accepting writes, an S1 approval dated 2099, signed by alice's listed
// key (her laptop's clock, or her key misused) and another INSERTed
// unsigned, reach a watcher on machine B. Its screen shows 2 WRITERS
// firing, no S1 running, and the rows as unverified.
func TestAFutureApprovalLeavesTwoWritersFiringOnAWatcher(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a screen in tmux")
	}
	tmux := toolBinary(t, "tmux", "screen", "apt-get install -y tmux")
	t.Parallel()
	bin := cockpitBinary(t)
	// alice's `run P1` is the only process that sends the safe probes; the
	// watcher shows her journaled answers, which must still be fresh when
	// it paints on a busy machine: stale_after 2m instead of the world's 10s.
	e := newE2EWorld(t, bin, func(cfg string) string {
		return "operator: alice\n" + strings.Replace(cfg, "\nstale_after: 10s\n", "\nstale_after: 2m\n", 1)
	})
	aliceKey := strings.TrimSpace(e.mustRun(exitOK, "key"))
	// Rust takes the writes while legacy still accepts them: two writers
	// (Rust accepting with none routed to it would be its deployment's own
	// default, not an incident).
	e.ctl("staging", "set-env", "rust", "RUNTIME_AUTHORITY_WRITE_MODE=rust_active")
	e.ctl("staging", "route-writes", "rust")
	year2099 := time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)
	approval := journal.Record{Time: year2099, Kind: journal.KindApproval, Env: "staging", Step: "S1", Operator: "alice",
		Host: "laptop-a", PID: 4242, Message: "approved in 2099"}
	appendForged(t, journal.Path(filepath.Join(e.dir, "state"), "staging"), []journal.Record{approval})
	_, _, _ = e.cockpit("run", "P1", "--env", "staging", "--approve", "P1") // publishes alice's journal, signed
	raw, _ := json.Marshal(approval)
	conn, err := pgx.Connect(t.Context(), e.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	eventually(t, 20*time.Second, 200*time.Millisecond, "alice's signed 2099 approval in the shared timeline", func() bool {
		var n int
		err := conn.QueryRow(t.Context(), `SELECT count(*) FROM cockpit_journal WHERE record->>'message' = 'approved in 2099'`).Scan(&n)
		return err == nil && n == 1
	})
	if _, err := conn.Exec(t.Context(), `INSERT INTO cockpit_journal (env, origin, origin_offset, record) VALUES ('staging', 'FORGED', 0, $1)`, raw); err != nil {
		t.Fatal(err)
	}

	other := teamConfig(t, machineBConfig(t, e), aliceKey)
	w := newTmuxScreen(t, tmux, "env", "DB_URL="+e.dbURL, "USER=bob", bin, "watch", "--config", other, "--env", "staging")
	w.waitFor("two writers firing and the 2099 approvals shown unverified", 40*time.Second, func(s string) bool {
		return strings.Contains(s, "2 WRITERS") && strings.Count(s, "unverified (") >= 2
	})
	screen := w.capture()
	if strings.Contains(screen, "running since") || strings.Contains(screen, "step running") || strings.Contains(screen, "expected while") {
		t.Fatalf("a 2099 approval made S1 look running on the watcher:\n%s", screen)
	}
	w.keys("q")
}
