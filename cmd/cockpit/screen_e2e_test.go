package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openagents/cockpit/sandbox"
)

// screenRedeployDelay is how long each control of the world takes: the
// header must follow the world within it and a few refresh rounds.
const screenRedeployDelay = time.Second

// TestScreenEndToEnd drives the built binary's screen in tmux as an
// operator does: live panes, a confirm dialog that changes nothing when
// declined, S1 with an override reason, an incident's timer, a rollback,
// the read-only watch, and a clean exit. The world and the cockpit are
// separate processes; what the world did is read from `rehearse ctl state`,
// never from the screen.
func TestScreenEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("the screen end-to-end test takes about a minute")
	}
	tmux := toolBinary(t, "tmux", "screen", "apt-get install -y tmux")
	t.Parallel()
	bin := cockpitBinary(t)
	dir := t.TempDir()
	cfg, worldProc := screenStartWorld(t, bin, dir)
	raw, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The spike need only go pending, then fire: 10s, not the world's 30s.
	must(t, os.WriteFile(cfg, []byte(incidentFor(t, string(raw), "write_error_spike", 10*time.Second)), 0o644))
	world := func() sandbox.EnvState {
		t.Helper()
		return screenCtlState(t, bin, cfg, worldProc)
	}

	op := newTmuxScreen(t, tmux, bin, "operate", "--config", cfg, "--env", "staging", "--log-file", filepath.Join(dir, "operate.log"))

	op.waitFor("the four panes show live values", 30*time.Second, screenPanesLive)

	// Enter on S1 shows the exact argv; n changes nothing. A dialog opens
	// once its plan has read the gates live: a whole observation round.
	op.selectItem("S1")
	op.keys("Enter")
	argv := bin + " rehearse ctl --config " + cfg + " --env staging set-env rust RUNTIME_AUTHORITY_WRITE_MODE=rust_active"
	op.waitFor("the confirm dialog with S1's exact argv", 30*time.Second, func(s string) bool {
		return strings.Contains(s, "CONFIRM S1") && strings.Contains(screenCalls(s), "$ "+argv)
	})
	op.keys("Escape")
	op.waitFor("the dialog closed, nothing run", 30*time.Second, func(s string) bool {
		return strings.Contains(s, "cancelled: S1 not run") && !strings.Contains(s, "CONFIRM")
	})
	if st := world(); len(st.Controls) != 0 || st.RustWriteMode != "shadow_only" {
		t.Fatalf("after declining S1 the world has controls %v and rust %s, want none and shadow_only", st.Controls, st.RustWriteMode)
	}

	// Confirming runs it: P4 is UNKNOWN without a database, so S1 needs a reason.
	op.keys("Enter")
	op.waitFor("the override reason prompt", 30*time.Second, func(s string) bool {
		return strings.Contains(s, "CONFIRM S1") && strings.Contains(s, "override reason")
	})
	op.literal("rehearsal without a database")
	op.waitConfirmable() // a fresh dialog ignores Enter for a moment (no double-tap confirms)
	op.keys("Enter")
	op.waitFor("the header following S1", 30*time.Second+screenRedeployDelay, func(s string) bool {
		h := screenLine(s, 0)
		return strings.Contains(h, "rust: rust_active") && strings.Contains(h, "legacy: frozen") && strings.Contains(h, "writes → rust")
	})
	if st := world(); st.RustWriteMode != "rust_active" || !st.LegacyWriteFreeze || st.WriteTarget != "rust" {
		t.Fatalf("after S1 the world is rust %s, legacy frozen %v, writes → %s; want rust_active, frozen, rust",
			st.RustWriteMode, st.LegacyWriteFreeze, st.WriteTarget)
	}
	op.waitFor("S1's outcome on the status line", 30*time.Second, func(s string) bool { return strings.Contains(s, "S1 done") })

	// An error spike is pending, then fires once its `for` has elapsed.
	// First the incidents must be quiet, so "pending" is the fault's doing.
	op.waitFor("quiet incidents before the fault", 60*time.Second, func(s string) bool {
		in := screenIncidents(s)
		return strings.HasPrefix(in, "INCIDENTS: none firing") && !strings.Contains(in, "pending")
	})
	screenCtl(t, bin, cfg, worldProc, "fault", sandbox.FaultErrorSpike, "on")
	op.waitFor("the error spike pending", 30*time.Second, func(s string) bool {
		return strings.Contains(screenIncidents(s), "pending")
	})
	op.waitFor("the error spike firing with its advice", 45*time.Second, func(s string) bool {
		in := screenIncidents(s)
		return strings.Contains(in, "FIRING") && strings.Contains(in, "rollback recommended")
	})

	// r rolls back; the world and the header go back to legacy.
	op.keys("r")
	op.waitFor("the rollback confirm dialog", 30*time.Second, func(s string) bool {
		return strings.Contains(s, "CONFIRM rollback") && strings.Contains(screenCalls(s), "RUNTIME_AUTHORITY_WRITE_MODE=shadow_only")
	})
	if strings.Contains(op.capture(), "override reason") {
		op.literal("error spike firing")
	}
	op.waitConfirmable()
	op.keys("Enter")
	op.waitFor("the header following the rollback", 30*time.Second+screenRedeployDelay, func(s string) bool {
		h := screenLine(s, 0)
		return strings.Contains(h, "rust: shadow_only") && strings.Contains(h, "legacy: not frozen") && strings.Contains(h, "writes → legacy")
	})
	op.waitFor("the rollback's outcome", 30*time.Second, func(s string) bool { return strings.Contains(s, "rollback done") })
	after := world()
	if after.RustWriteMode != "shadow_only" || after.LegacyWriteFreeze || after.WriteTarget != "legacy" {
		t.Fatalf("after the rollback the world is rust %s, legacy frozen %v, writes → %s; want shadow_only, not frozen, legacy",
			after.RustWriteMode, after.LegacyWriteFreeze, after.WriteTarget)
	}

	// Rust takes writes while legacy still does (a half-done S1, done by
	// hand): the operating screen, which probes both, shows two writers in
	// the header and the incidents line.
	screenCtl(t, bin, cfg, worldProc, "set-env", "rust", "RUNTIME_AUTHORITY_WRITE_MODE=rust_active")
	op.waitFor("two writers in the header and the incidents", 30*time.Second+screenRedeployDelay, func(s string) bool {
		return strings.Contains(screenLine(s, 0), "2 WRITERS") && strings.Contains(screenIncidents(s), "2 WRITERS")
	})
	after = world()

	op.keys("q")
	op.waitExit()

	// watch on the same config: every action key says read-only, nothing is applied.
	w := newTmuxScreen(t, tmux, bin, "watch", "--config", cfg, "--env", "staging")
	w.waitFor("the watch screen's panes", 40*time.Second, screenPanesLive)
	for _, press := range []struct{ key, action string }{{"Enter", "P1"}, {"r", "rollback"}, {"p", "write-probe"}} {
		w.keys(press.key)
		w.waitFor("read-only after "+press.key, 30*time.Second, func(s string) bool {
			return strings.Contains(s, "read-only: use cockpit operate to act ("+press.action+" not run)") && !strings.Contains(s, "CONFIRM")
		})
	}
	if st := world(); len(st.Controls) != len(after.Controls) {
		t.Errorf("watch applied controls: %d before, %d after", len(after.Controls), len(st.Controls))
	}
	w.keys("q")
	w.waitExit()
}

// screenStartWorld starts `rehearse --headless` as a child and returns the
// config it prints. DB_URL is removed so P4 is UNKNOWN whatever the machine has.
func screenStartWorld(t *testing.T, bin, dir string) (string, *process) {
	t.Helper()
	return screenStartWorldWith(t, bin, dir, screenRedeployDelay)
}

// screenStartWorldWith is screenStartWorld with each control taking delay,
// and env ("K=V") added to the world's environment.
func screenStartWorldWith(t *testing.T, bin, dir string, delay time.Duration, env ...string) (string, *process) {
	t.Helper()
	argv := append(append([]string{"-u", "DB_URL"}, env...), bin, "rehearse", "--headless", "--dir", dir, "--redeploy-delay", delay.String(),
		"--staging-writes-per-second", "40") // the scenes were written on a busy staging
	p := startProcess(t, "env", argv...)
	return headlessConfig(t, p), p
}

// headlessConfig waits for `rehearse --headless` (started by startProcess)
// to print its config's path, stops it when the test ends, and keeps
// reading its output so the world never blocks on stdout.
func headlessConfig(t testing.TB, p *process) string {
	t.Helper()
	t.Cleanup(func() { _ = p.cmd.Process.Signal(os.Interrupt); p.wait(t, 10*time.Second) })
	deadline := time.After(headlessStartBudget)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				t.Fatalf("rehearse --headless exited before printing its config; stderr: %s", p.stderr)
			}
			if path, found := strings.CutPrefix(line, "config: "); found {
				go func() { // keep draining so the world never blocks on stdout
					for range p.lines {
					}
				}()
				return path
			}
		case <-deadline:
			t.Fatalf("no `config: PATH` line within %s; stderr: %s", headlessStartBudget, p.stderr)
		}
	}
}

// screenCtl runs `rehearse ctl` on staging and returns its stdout. A failed
// call names what ctl and the world (when given) said on stderr.
func screenCtl(t *testing.T, bin, cfg string, world *process, args ...string) []byte {
	t.Helper()
	argv := append([]string{"rehearse", "ctl", "--config", cfg, "--env", "staging"}, args...)
	var stderr strings.Builder
	cmd := exec.CommandContext(t.Context(), bin, argv...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		worldSaid := "(not captured)"
		if world != nil {
			worldSaid = world.stderr.String()
		}
		t.Fatalf("cockpit %s: %v: %s\nworld stderr: %s", strings.Join(argv, " "), err, stderr.String(), worldSaid)
	}
	return out
}

// screenCtlState is what the world says staging is, not what the screen says.
func screenCtlState(t *testing.T, bin, cfg string, world *process) sandbox.EnvState {
	t.Helper()
	var st map[string]sandbox.EnvState
	if err := json.Unmarshal(screenCtl(t, bin, cfg, world, "state"), &st); err != nil {
		t.Fatalf("decoding ctl state: %v", err)
	}
	return st["staging"]
}

// tmuxScreen is one cockpit screen verb running in its own tmux server,
// 200×50, under a shell that prints the exit code once the screen is gone.
type tmuxScreen struct {
	t      *testing.T
	tmux   string
	socket string
}

// screenExitedLine is what the shell prints when the verb exits 0.
const screenExitedLine = "cockpit exited 0"

func newTmuxScreen(t *testing.T, tmux, bin string, args ...string) *tmuxScreen {
	t.Helper()
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	s := &tmuxScreen{t: t, tmux: tmux, socket: "cockpit-e2e-" + hex.EncodeToString(suffix)}
	quoted := []string{screenShellQuote(bin)}
	for _, a := range args {
		quoted = append(quoted, screenShellQuote(a))
	}
	shell := strings.Join(quoted, " ") + `; echo "cockpit exited $?"; exec sleep 600`
	s.run("-f", "/dev/null", "new-session", "-d", "-x", "200", "-y", "50", "-s", "cockpit", "sh -c "+screenShellQuote(shell))
	t.Cleanup(s.stop)
	return s
}

// stop ends the verb before the tmux server: SIGTERM to the process the
// pane's shell runs, then a wait for the shell's exit line, so a cockpit
// still writing its journal or recording never outlives the test's
// directories. SIGKILL after two minutes.
func (s *tmuxScreen) stop() {
	defer func() { _ = exec.Command(s.tmux, "-L", s.socket, "kill-server").Run() }()
	exited := func() bool {
		out, err := exec.Command(s.tmux, "-L", s.socket, "capture-pane", "-p", "-t", "cockpit").Output()
		return err != nil || strings.Contains(string(out), "cockpit exited")
	}
	out, err := exec.Command(s.tmux, "-L", s.socket, "display-message", "-p", "-t", "cockpit", "#{pane_pid}").Output()
	if err != nil || exited() {
		return
	}
	shell, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		return
	}
	children := childProcesses(shell)
	signalAll(children, syscall.SIGTERM)
	deadline := time.Now().Add(2 * time.Minute)
	for !exited() {
		if time.Now().After(deadline) {
			s.t.Errorf("the screen's verb did not exit within 2m of SIGTERM; killing it")
			signalAll(children, syscall.SIGKILL)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// childProcesses lists the pids whose parent is pid, read from /proc.
func childProcesses(pid int) []int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var children []int
	for _, path := range stats {
		raw, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces and parentheses.
		fields := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
		if len(fields) < 2 || fields[1] != strconv.Itoa(pid) {
			continue
		}
		if child, err := strconv.Atoi(filepath.Base(filepath.Dir(path))); err == nil {
			children = append(children, child)
		}
	}
	return children
}

func signalAll(pids []int, sig syscall.Signal) {
	for _, pid := range pids {
		_ = syscall.Kill(pid, sig)
	}
}

func (s *tmuxScreen) run(args ...string) string {
	s.t.Helper()
	out, err := exec.CommandContext(s.t.Context(), s.tmux, append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// keys sends tmux key names (Enter, Escape, r).
func (s *tmuxScreen) keys(keys ...string) {
	s.t.Helper()
	s.run(append([]string{"send-keys", "-t", "cockpit"}, keys...)...)
}

// literal types text as it is.
func (s *tmuxScreen) literal(text string) {
	s.t.Helper()
	s.run("send-keys", "-t", "cockpit", "-l", text)
}

func (s *tmuxScreen) capture() string {
	s.t.Helper()
	return s.run("capture-pane", "-p", "-t", "cockpit")
}

// waitFor polls the pane until ok holds, failing with the last screen.
func (s *tmuxScreen) waitFor(what string, d time.Duration, ok func(screen string) bool) {
	s.t.Helper()
	deadline := time.Now().Add(d)
	for {
		screen := s.capture()
		if ok(screen) {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("no %s within %s; the screen:\n%s", what, d, screen)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// selectItem moves the runbook cursor to the item, one key press per row,
// waiting for each move to be drawn.
func (s *tmuxScreen) selectItem(id string) {
	s.t.Helper()
	row := regexp.MustCompile(`^[▶ ] [✔✘?!…·] +[A-Z]+(?: [A-Z]+)? +(\w+) `)
	items := func(screen string) (cursor, target int) {
		cursor, target = -1, -1
		for i, l := range strings.Split(screen, "\n") {
			m := row.FindStringSubmatch(l)
			switch {
			case m == nil:
			case m[1] == id:
				target = i
				if strings.HasPrefix(l, "▶") {
					cursor = i
				}
			case strings.HasPrefix(l, "▶"):
				cursor = i
			}
		}
		return cursor, target
	}
	for range 20 {
		screen := s.capture()
		cursor, target := items(screen)
		switch {
		case cursor < 0 || target < 0:
			s.t.Fatalf("no runbook cursor or no %s row; the screen:\n%s", id, screen)
		case cursor == target:
			return
		case cursor < target:
			s.keys("j")
		default:
			s.keys("k")
		}
		s.waitFor("the cursor to move", 30*time.Second, func(next string) bool {
			c, _ := items(next)
			return c != cursor
		})
	}
	s.t.Fatalf("could not move the cursor to %s; the screen:\n%s", id, s.capture())
}

// waitConfirmable waits for the open confirm dialog to offer its confirm
// keys: it draws them only once they work (confirmGrace).
func (s *tmuxScreen) waitConfirmable() {
	s.t.Helper()
	s.waitFor("the dialog to accept confirming", 30*time.Second, func(screen string) bool {
		return strings.Contains(screen, "CONFIRM") && strings.Contains(screen, "enter confirm ·")
	})
}

// waitExit waits for the verb to leave the alt screen and exit 0: the
// pane then shows the shell's own output again.
func (s *tmuxScreen) waitExit() {
	s.t.Helper()
	s.waitFor("the screen to exit 0 and give the terminal back", 30*time.Second, func(screen string) bool {
		return strings.Contains(screen, screenExitedLine) && !strings.Contains(screen, "HEALTH")
	})
}

// screenPanesLive holds when the four panes are drawn with values.
func screenPanesLive(s string) bool {
	top := strings.Join(strings.Split(s, "\n")[:min(5, strings.Count(s, "\n"))], "\n")
	for _, title := range []string{"HEALTH", "PARITY", "ERROR RATE", "DRIFT"} {
		if !strings.Contains(top, title) {
			return false
		}
	}
	for _, missing := range []string{"no data", "no health probes", "gate UNKNOWN", "STALE"} {
		if strings.Contains(top, missing) {
			return false
		}
	}
	return regexp.MustCompile(`leg http +\d+(\.\d+)?%`).MatchString(top) && regexp.MustCompile(`lag avg +n/a +\(not judged`).MatchString(top) &&
		// drift: 0 before its counter's first event (on a live exporter),
		// n/a once legacy is frozen (it no longer projects).
		regexp.MustCompile(`drift +(0 +\(no |n/a +\(n/a)`).MatchString(top) &&
		strings.Contains(top, "rust health") && strings.Contains(top, "gate ALLOW")
}

// screenLine is the screen's nth line.
func screenLine(s string, n int) string {
	lines := strings.Split(s, "\n")
	if n < len(lines) {
		return lines[n]
	}
	return ""
}

// screenIncidents is the incidents line.
func screenIncidents(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "INCIDENT") {
			return l
		}
	}
	return ""
}

// screenCalls is the confirm dialog's "will run" block with wrapped lines
// joined again, so a long argv reads as one line.
func screenCalls(s string) string {
	_, rest, ok := strings.Cut(s, "will run:\n")
	if !ok {
		return ""
	}
	block, _, _ := strings.Cut(rest, "gates (live):")
	var calls []string
	for _, l := range strings.Split(block, "\n") {
		switch l = strings.TrimSpace(l); {
		case l == "":
		case strings.HasPrefix(l, "$ ") || len(calls) == 0:
			calls = append(calls, l)
		default:
			calls[len(calls)-1] += " " + l
		}
	}
	return strings.Join(calls, "\n")
}

// screenShellQuote quotes an argument for sh.
func screenShellQuote(a string) string {
	return "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
}
