package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCheckVerifyPassesAfterS1AsJSON(t *testing.T) {
	t.Parallel()
	cfg := healthy().configFile(t)
	out, errOut, code := runCLI(t, false, "check", "verify", "--config", cfg, "-o", "json")
	if code != exitOK {
		t.Fatalf("exit %d, want 0\n%s%s", code, out, errOut)
	}
	var rep checkReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	var ids []string
	for _, c := range rep.Checks {
		ids = append(ids, c.ID+"="+c.Verdict)
		if c.Age == nil || c.Evidence == "" {
			t.Errorf("%s lacks evidence or age: %+v", c.ID, c)
		}
	}
	if rep.Env != "staging" || rep.Verdict != "PASS" || strings.Join(ids, " ") != "V1=PASS V2=PASS V3=PASS V4=PASS" {
		t.Errorf("report = env %q verdict %q checks %v", rep.Env, rep.Verdict, ids)
	}
}

func TestCheckTextIsColouredOnlyOnATerminal(t *testing.T) {
	t.Parallel()
	cfg := healthy().configFile(t)
	tty, _, _ := runCLI(t, true, "check", "verify", "--config", cfg)
	pipe, _, code := runCLI(t, false, "check", "verify", "--config", cfg)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, pipe)
	}
	if !strings.Contains(tty, "\x1b[32mPASS") {
		t.Errorf("terminal output has no green PASS:\n%q", tty)
	}
	if strings.Contains(pipe, "\x1b[") {
		t.Errorf("piped output has escape codes:\n%q", pipe)
	}
	if !strings.Contains(pipe, "V2  PASS    legacy frozen (410) — ") || !strings.HasSuffix(pipe, "staging: PASS\n") {
		t.Errorf("piped output is not one line per check:\n%s", pipe)
	}
}

func TestCheckVerifyFailsWhenRustIsFrozen(t *testing.T) {
	t.Parallel()
	w := healthy()
	w.rustMode, w.afterS1 = "shadow_only", true
	out, _, code := runCLI(t, false, "check", "verify", "--config", w.configFile(t))
	if code != exitCheckFailed {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	if !strings.Contains(out, "V1  FAIL") {
		t.Errorf("V1 not failed:\n%s", out)
	}
}

func TestCheckPreconditionsHoldsWithoutADatabase(t *testing.T) {
	t.Parallel()
	out, _, code := runCLI(t, false, "check", "preconditions", "--config", healthy().configFile(t))
	if code != exitUnknown {
		t.Fatalf("exit %d, want 2 (hold)\n%s", code, out)
	}
	if !strings.Contains(out, "P4  UNKNOWN") || !strings.Contains(out, "set COCKPIT_CMD_TEST_UNSET_DB_URL") {
		t.Errorf("P4 does not say how to configure the database:\n%s", out)
	}
}

func TestCheckIncidents(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		w    func(readWorld) readWorld
		code int
		line string
	}{
		{"quiet", func(w readWorld) readWorld { return w }, exitOK, "I2  PASS"},
		{"critical parity in a report fires at once", func(w readWorld) readWorld { w.parity = "block"; return w }, exitCheckFailed, "I1  FAIL"},
		{"error spike is pending for 10m", func(w readWorld) readWorld { w.errorRate = 0.5; return w }, exitUnknown, "I2  PENDING"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			out, _, code := runCLI(t, false, "check", "incidents", "--config", c.w(healthy()).configFile(t))
			if code != c.code || !strings.Contains(out, c.line) {
				t.Errorf("exit %d (want %d), want a line %q:\n%s", code, c.code, c.line, out)
			}
		})
	}
}

func TestCheckUsageErrors(t *testing.T) {
	t.Parallel()
	cfg := healthy().configFile(t)
	for _, args := range [][]string{
		{"check", "everything", "--config", cfg},
		{"check", "verify", "--config", cfg, "-o", "yaml"},
		{"check", "verify", "--config", cfg, "--env", "production"},
		{"check", "verify", "--config", cfg + ".missing"},
	} {
		if _, errOut, code := runCLI(t, false, args...); code != exitUsage || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q; want 4 with a message", args, code, errOut)
		}
	}
}

func TestStatusReadsWhereTheCutoverStands(t *testing.T) {
	t.Parallel()
	cfg := healthy().configFile(t)
	out, _, code := runCLI(t, false, "status", "--config", cfg, "-o", "json")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	var rep struct {
		Env, RustWriteMode, LegacyFreeze, WriteTarget string
		Cohort                                        *float64 `json:"cohort_percent"`
		Incidents                                     []struct{ Runbook, State string }
	}
	raw := strings.NewReplacer(`"rust_write_mode"`, `"RustWriteMode"`, `"legacy_write_freeze"`, `"LegacyFreeze"`, `"write_target"`, `"WriteTarget"`).Replace(out)
	if err := json.Unmarshal([]byte(raw), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.RustWriteMode != "rust_active" || rep.LegacyFreeze != "frozen" || rep.WriteTarget != "rust" || rep.Cohort == nil || *rep.Cohort != 100 {
		t.Errorf("status = %+v (cohort %v)", rep, rep.Cohort)
	}
	// 8 criteria; after S1 the legacy projection ones are n/a (legacy no
	// longer projects, nothing watched yet).
	if len(rep.Incidents) != 8 || rep.Incidents[0].State != "ok" {
		t.Errorf("incidents = %+v", rep.Incidents)
	}

	text, _, _ := runCLI(t, false, "status", "--config", cfg)
	if !strings.Contains(text, "rust     rust_active") || !strings.Contains(text, "writes → rust (100.0% on rust)") {
		t.Errorf("text status:\n%s", text)
	}
}

func TestStatusWithAnUnknownPositionSaysUnknownAndHolds(t *testing.T) {
	t.Parallel()
	w := healthy()
	w.noShare = true
	out, _, code := runCLI(t, false, "status", "--config", w.configFile(t), "-o", "json")
	if code != exitUnknown {
		t.Fatalf("exit %d, want 2 (hold) when the write target cannot be told\n%s", code, out)
	}
	if !strings.Contains(out, `"write_target": "unknown"`) || !strings.Contains(out, `"cohort_percent": null`) {
		t.Errorf("status JSON does not say unknown:\n%s", out)
	}
}

func TestPreflight(t *testing.T) {
	t.Parallel()
	out, _, code := runCLI(t, false, "preflight", "--config", healthy().configFile(t))
	if code != exitOK || !strings.Contains(out, "0 with a problem") {
		t.Errorf("exit %d, want 0:\n%s", code, out)
	}
	w := healthy()
	w.emptyQuery = true
	out, _, code = runCLI(t, false, "preflight", "--config", w.configFile(t))
	if code != exitCheckFailed || !strings.Contains(out, "PROBLEM projection_lag") {
		t.Errorf("a query without data: exit %d, want 1 naming it:\n%s", code, out)
	}
}

// Before the cutover the checklist cannot hold yet: its items await S1,
// neither failing nor holding the exit code, and say what they await.
func TestCheckBeforeTheCutoverAwaitsS1(t *testing.T) {
	t.Parallel()
	w := healthy()
	w.rustMode, w.legacyFreeze = "shadow_only", "false"
	w.noShare = false
	out, _, code := runCLI(t, false, "check", "verify", "--config", w.configFile(t), "-o", "json")
	var rep checkReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	for _, c := range rep.Checks {
		if c.Verdict != "AWAITS" || c.Awaits != "S1" || !strings.Contains(c.Evidence, "awaits S1") {
			t.Errorf("%s before the cutover: %s %q, want AWAITS S1", c.ID, c.Verdict, c.Evidence)
		}
	}
	if code != exitOK {
		t.Errorf("check verify before the cutover: exit %d, want 0 (nothing failed, nothing to hold)", code)
	}
}
