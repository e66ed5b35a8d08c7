package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
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

// TestMain runs the package's tests, then removes the binaries they built:
// every test shares one build of the cockpit (and the race test one -race
// build), so no test pays for a `go build` of its own.
func TestMain(m *testing.M) {
	code := m.Run()
	if builtDir != "" {
		_ = os.RemoveAll(builtDir)
	}
	os.Exit(code)
}

var (
	// builtDir holds the binaries built for this package's tests.
	builtDir string
	// builds are the binaries built so far, by their `go build` flags.
	builds   = map[string]*binaryBuild{}
	buildsMu sync.Mutex
)

// binaryBuild is one `go build` of the cockpit, shared by every test that
// asks for it: the first builds, the others wait for it.
type binaryBuild struct {
	once sync.Once
	path string
	err  error
}

// cockpitBinary is the binary the end-to-end tests drive: $COCKPIT_BIN
// (scripts/test.sh builds it once for every package), or one build shared
// by the package's tests.
func cockpitBinary(t testing.TB) string {
	t.Helper()
	if bin := os.Getenv("COCKPIT_BIN"); bin != "" {
		return bin
	}
	return sharedBuild(t, "cockpit")
}

// raceCockpitBinary is the cockpit built with -race, once for the package:
// the end-to-end binary's own goroutines (the screen's, the sampler's, the
// executor's) raced under real processes, which the other tests' plain
// build never checks.
func raceCockpitBinary(t testing.TB) string {
	t.Helper()
	return sharedBuild(t, "cockpit-race", "-race")
}

// sharedBuild builds the package's binary into builtDir/name with flags,
// once for every test asking for the same name.
func sharedBuild(t testing.TB, name string, flags ...string) string {
	t.Helper()
	buildsMu.Lock()
	b := builds[name]
	if b == nil {
		b = &binaryBuild{}
		builds[name] = b
	}
	buildsMu.Unlock()
	b.once.Do(func() { b.path, b.err = goBuild(name, flags) })
	if b.err != nil {
		t.Fatalf("building the cockpit: %v", b.err)
	}
	return b.path
}

// goBuild builds this package into builtDir/name; it runs outside any one
// test, so a test that ends first does not cancel the build the others
// wait for.
func goBuild(name string, flags []string) (string, error) {
	buildsMu.Lock()
	if builtDir == "" {
		dir, err := os.MkdirTemp("", "cockpit-tests-")
		if err != nil {
			buildsMu.Unlock()
			return "", err
		}
		builtDir = dir
	}
	bin := filepath.Join(builtDir, name)
	buildsMu.Unlock()
	args := append(append([]string{"build"}, flags...), "-o", bin, ".")
	if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return bin, nil
}

// binarySubtest is one parallel subtest of the built binary.
type binarySubtest struct {
	name string
	run  func(t *testing.T, bin string)
}

// runBinarySubtests runs every subtest against the package's binary in
// parallel.
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
