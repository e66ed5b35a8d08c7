package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/internal/testsvc"
	"github.com/openagents/cockpit/journal"
)

// Issue 14, defects 6 and 7, against the rehearsal world and the built
// binary: a full or read-only state disk (a real tmpfs, filled or remounted
// read-only) and a named pipe among the parity reports.
func TestStateDiskAndReportFilesEndToEnd(t *testing.T) {
	t.Parallel() // each subtest owns its world, disk and fallback directory
	runBinarySubtests(t, []binarySubtest{
		{"a full, then read-only state disk: checks are not OK, the rollback restores the world", testStateDiskFailures},
		{"a named pipe among the parity reports: check all returns, the rollback restores the world", testFIFOReport},
	})
}

func testStateDiskFailures(t *testing.T, bin string) {
	disk := testsvc.SmallDisk(t, 1<<20)
	w := newE2EWorld(t, bin, func(cfg string) string {
		return regexp.MustCompile(`state_dir: "[^"]*"`).ReplaceAllString(cfg, "state_dir: "+strconv.Quote(disk))
	})
	jpath := journal.Path(disk, "staging")
	fallback := t.TempDir() // $XDG_RUNTIME_DIR: the fallback journal and artifacts
	env := map[string]string{"DB_URL": w.dbURL, "XDG_RUNTIME_DIR": fallback}

	w.mustRun(0, "run", "S1", "--env", "staging", "--approve", "S1")
	padToPage(t, jpath) // not one more byte fits in the journal's last page
	free := testsvc.FillDisk(t, disk)
	assertNotOK(t, w, "no space left on device: free space or set state_dir", jpath)
	assertRollbackRestores(t, w, env, "no space left on device", fallback)

	free()
	w.mustRun(0, "run", "S1", "--env", "staging", "--approve", "S1")
	testsvc.RemountReadOnly(t, disk)
	assertNotOK(t, w, "read-only file system", jpath)
	assertRollbackRestores(t, w, env, "read-only file system", fallback)
}

// assertNotOK runs the check-only P1, which cannot journal its result: it
// must say so (the file and the errno), exit 5 and never print OK.
func assertNotOK(t *testing.T, w *e2eWorld, why, jpath string) {
	t.Helper()
	out, errOut, code := w.cockpit("run", "P1", "--env", "staging", "--approve", "P1")
	if code != exitActionFailed || strings.Contains(out, "P1 OK") {
		t.Errorf("run P1 with an unwritable journal: exit %d, want 5 and no OK:\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "journal "+jpath+": "+why) {
		t.Errorf("run P1 does not name the journal and %q:\n%s", why, errOut)
	}
}

// assertRollbackRestores rolls staging back on the broken state disk: exit
// 6, the world restored, the fallback named on screen and in the final
// message, the R-steps' records whole in the fallback file, and the
// recording said stopped.
func assertRollbackRestores(t *testing.T, w *e2eWorld, env map[string]string, why, fallback string) {
	t.Helper()
	out, errOut, code := w.cockpitEnv(env, "rollback", "--env", "staging", "--approve", "rollback")
	if code != exitRolledBack {
		t.Fatalf("rollback on a state disk saying %q: exit %d, want 6:\nstdout:\n%s\nstderr:\n%s", why, code, out, errOut)
	}
	if st := w.state("staging"); st.RustWriteMode != "shadow_only" || st.LegacyWriteFreeze || st.WriteTarget != "legacy" {
		t.Errorf("after the rollback staging is %+v, want shadow_only, legacy unfrozen, writes → legacy", st)
	}
	fbFile := journal.FallbackPath(fallback, "staging")
	if !strings.Contains(errOut, why) || !strings.Contains(errOut, fbFile) {
		t.Errorf("stderr does not say %q and name the fallback %s:\n%s", why, fbFile, errOut)
	}
	last := out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:]
	if !strings.Contains(last, "rollback OK") || !strings.Contains(last, fbFile) || !strings.Contains(last, filepath.Join(fallback, "cockpit-staging-artifacts")) {
		t.Errorf("the final message does not name the fallback journal and artifacts:\n%s", last)
	}
	t.Logf("rollback on %q: exit 6; final message: %s", why, last)
	recs, _ := journal.Read(fbFile)
	seen := map[string]bool{}
	for _, r := range recs {
		if r.Kind == journal.KindOutcome && r.Step == "rollback" && r.OK != nil && *r.OK {
			seen[strings.SplitN(r.Check, " ", 2)[0]] = true
		}
	}
	for _, id := range []string{"R1", "R2", "R3"} {
		if !seen[id] {
			t.Errorf("the fallback journal holds no verified %s outcome (%d records)", id, len(recs))
		}
	}
	assertRecordingStopped(t, errOut, recs, why)
}

// assertRecordingStopped: the rollback's recording, on the same broken
// disk, stopped and did not stop the rollback; stderr and the fallback
// journal (one line) say so, and why.
func assertRecordingStopped(t *testing.T, errOut string, recs []journal.Record, why string) {
	t.Helper()
	if !strings.Contains(errOut, "recording stopped") {
		t.Errorf("stderr does not say the recording stopped:\n%s", errOut)
	}
	lines := 0
	for _, r := range recs {
		if r.Kind == journal.KindRecording && strings.HasPrefix(r.Message, "recording stopped: ") && strings.Contains(r.Message, why) {
			lines++
		}
	}
	if lines != 1 {
		t.Errorf("%d lines of the fallback journal say the recording stopped (%s), want 1", lines, why)
	}
}

// padToPage appends one blank line so the journal ends on a page boundary:
// on a full tmpfs the next byte needs a page there is none of.
func padToPage(t *testing.T, path string) {
	t.Helper()
	st, err := os.Stat(path)
	must(t, err)
	pad := (4096 - st.Size()%4096) % 4096
	if pad == 0 {
		return
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	must(t, err)
	_, err = f.Write(append(bytes.Repeat([]byte(" "), int(pad-1)), '\n'))
	must(t, err)
	must(t, f.Close())
}

func testFIFOReport(t *testing.T, bin string) {
	w := newE2EWorld(t, bin, nil)
	w.mustRun(0, "run", "S1", "--env", "staging", "--approve", "S1")
	cfg, err := config.Load(w.config)
	must(t, err)
	fifo := filepath.Join(filepath.Dir(cfg.Environments["staging"].Parity.Reports), "parity-zz-latest.json")
	must(t, syscall.Mkfifo(fifo, 0o600))

	start := time.Now()
	out, errOut, code := w.cockpit("check", "all", "--env", "staging")
	took := time.Since(start)
	// V1 fails after S1 alone (no write probe yet): exit 1; P1 must hold.
	p1 := regexp.MustCompile(`(?m)^P1 +UNKNOWN .*$`).FindString(out)
	if code == exitOK || !strings.Contains(p1, fifo+" is a named pipe") {
		t.Errorf("check all with a named pipe among the reports: exit %d, want P1 UNKNOWN naming the pipe:\n%s\n%s", code, out, errOut)
	}
	t.Logf("check all with a named pipe report returned in %s", took.Round(time.Millisecond))

	out, errOut, code = w.cockpit("rollback", "--env", "staging", "--approve", "rollback")
	if code != exitRolledBack || !strings.Contains(out, fifo+" skipped: a named pipe") {
		t.Errorf("rollback with a named pipe among the reports: exit %d, want 6 naming the pipe:\n%s\n%s", code, out, errOut)
	}
	if st := w.state("staging"); st.RustWriteMode != "shadow_only" || st.LegacyWriteFreeze || st.WriteTarget != "legacy" {
		t.Errorf("after the rollback staging is %+v, want shadow_only, legacy unfrozen, writes → legacy", st)
	}
}

// SIGTERM while check all waits on a Prometheus that accepts and never
// answers (query_timeout 60s, so the round alone would take a minute):
// the verb ends at once, says why, and exits 2 (hold) printing no report.
func TestCheckAllEndsOnSIGTERM(t *testing.T) {
	t.Parallel()
	bin := cockpitBinary(t)
	asked := make(chan struct{})
	var once sync.Once
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(asked) })
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	path := withPrometheus(t, healthy().configFile(t), srv.URL)
	raw, err := os.ReadFile(path)
	must(t, err)
	raw = bytes.Replace(raw, []byte("query_timeout: 1s"), []byte("query_timeout: 60s"), 1)
	must(t, os.WriteFile(path, bytes.Replace(raw, []byte("refresh: 2s"), []byte("refresh: 2m"), 1), 0o600))

	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "check", "all", "--config", path)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	must(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-asked:
	case err := <-exited:
		t.Fatalf("check all ended (%v) before asking Prometheus:\n%s\n%s", err, out.String(), errOut.String())
	}
	sent := time.Now()
	must(t, cmd.Process.Signal(syscall.SIGTERM))
	err = <-exited
	took := time.Since(sent)
	code := exitCodeOf(t, cmd, err)
	if code != exitUnknown || !strings.Contains(errOut.String(), "terminated") || !strings.Contains(errOut.String(), "interrupted") {
		t.Errorf("check all after SIGTERM: exit %d, want 2 saying it was interrupted:\n%s\n%s", code, out.String(), errOut.String())
	}
	if out.Len() > 0 {
		t.Errorf("check all printed a report of a round cut short:\n%s", out.String())
	}
	t.Logf("check all exited %s after SIGTERM (its round alone would have waited 60s)", took.Round(time.Millisecond))
}
