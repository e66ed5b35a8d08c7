package config

import (
	"strings"
	"testing"
)

// A bad duration inside a flow mapping, or one whose text also appears
// earlier in the file, is reported at its own line and key: the operator is
// sent to the value to fix, not to the first line that happens to look alike.
func TestBadDurationNamesItsOwnLineAndKey(t *testing.T) {
	for name, tc := range map[string]struct {
		src, want string
	}{
		"flow mapping": {
			src:  minimal + "signals:\n  x: {query: up, for: 5}\n",
			want: `c.yaml:10: signals.x.for: "5" is not a duration`,
		},
		"same text earlier": {
			src:  "# retries: 5\n" + minimal + "signals:\n  x:\n    query: up\n    keep_firing_for: 5\n",
			want: `c.yaml:13: signals.x.keep_firing_for: "5" is not a duration`,
		},
		"negative": {
			src:  "stale_after: -1m\n" + minimal,
			want: `c.yaml:1: stale_after: "-1m" is negative`,
		},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(tc.src), noEnv)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("error = %v\nwant prefix %s", err, tc.want)
			}
		})
	}
}
