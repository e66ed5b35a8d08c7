package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runCLI runs the program like a user would, over buffers, within 30s.
func runCLI(t *testing.T, tty bool, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return runInProcess(ctx, tty, args)
}

// runCockpit runs the program in-process over buffers, as main would, for
// as long as the test runs.
func runCockpit(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	stdout, stderr, code = runInProcess(t.Context(), false, args)
	return code, stdout, stderr
}

// runInProcess is main without the process: the error main would print
// goes to stderr and becomes the exit code.
func runInProcess(ctx context.Context, tty bool, args []string) (stdout, stderr string, code int) {
	var out, errOut bytes.Buffer
	err := run(ctx, args, &Streams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, IsTTY: tty})
	if err != nil && !isSilent(err) {
		errOut.WriteString(err.Error())
	}
	return out.String(), errOut.String(), exitCode(err)
}

// cockpitBinary builds the binary once for the calling test's subtests (a
// TestMain would be shared with every other test of the package), or takes
// it from $COCKPIT_BIN, which scripts/test.sh sets.
func cockpitBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("COCKPIT_BIN"); bin != "" {
		return bin
	}
	bin := filepath.Join(t.TempDir(), "cockpit")
	out, err := exec.CommandContext(t.Context(), "go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("building the cockpit: %v\n%s", err, out)
	}
	return bin
}

// binarySubtest is one parallel subtest of the built binary.
type binarySubtest struct {
	name string
	run  func(t *testing.T, bin string)
}

// runBinarySubtests builds the binary once and runs every subtest against
// it in parallel.
func runBinarySubtests(t *testing.T, subtests []binarySubtest) {
	t.Helper()
	bin := cockpitBinary(t)
	for _, st := range subtests {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			st.run(t, bin)
		})
	}
}

// toolBinary finds a command a test drives; without it the test skips,
// except in CI, where a skipped test would pass unseen.
func toolBinary(t *testing.T, name, test, install string) string {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err == nil {
		return bin
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s not found; in CI the %s test must run: %s", name, test, install)
	}
	t.Skipf("%s not found (%s)", name, install)
	return ""
}
