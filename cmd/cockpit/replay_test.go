package main

import (
	"strings"
	"testing"
)

// replay refuses, with exit 4 and what to give instead, a pace or a time
// it cannot read, a window that ends before it starts, and a pipe.
func TestReplayRefusesBadFlags(t *testing.T) {
	for _, c := range []struct {
		tty  bool
		args []string
		want string
	}{
		{true, []string{"--speed", "0"}, "--speed 0: give a pace above 0"},
		{true, []string{"--from", "half past"}, `--from: "half past" is not a time`},
		{true, []string{"--to", "25:99"}, `--to: "25:99" is not a time`},
		{true, []string{"--from", "13:42", "--to", "13:41"}, "--to 13:41 is before --from 13:42"},
		{false, nil, "replay needs a terminal"},
	} {
		_, stderr, code := runCLI(t, c.tty, append([]string{"replay", "--config", "/nonexistent/cockpit.yaml"}, c.args...)...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("replay %v: exit %d, %q; want %d and %q", c.args, code, stderr, exitUsage, c.want)
		}
	}
}
