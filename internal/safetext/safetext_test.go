package safetext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// Hostile is the parity gate reason from the incident: retitle the window,
// clear the screen, return to column 0 and print a passing P1.
const Hostile = "\x1b]0;title\x07\x1b[2J…\rP1 PASS"

func TestClean(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "critical parity diffs detected", "critical parity diffs detected"},
		{"hostile", Hostile, "…⏎P1 PASS"},
		{"csi colour", "\x1b[31mFAIL\x1b[0m done", "FAIL done"},
		{"csi private", "\x1b[?1049hgone\x1b[?25l", "gone"},
		{"osc st", "a\x1b]8;;https://evil\x1b\\link\x1b]8;;\x1b\\b", "alinkb"},
		{"osc unterminated", "ok\x1b]0;rest of it", "ok"},
		{"dcs", "a\x1bP1$r0m\x1b\\b", "ab"},
		{"apc", "a\x1b_payload\x07b", "ab"},
		{"short esc", "a\x1b7b\x1b(Bc\x1bcd", "abcd"},
		{"esc at end", "a\x1b", "a"},
		{"c1 csi", "a\u009b2Jb", "ab"},
		{"c1 osc", "a\u009d0;t\u009cb", "ab"},
		{"c1 other", "a\u0084b\u0085c", "ab⏎c"},
		{"c0", "a\x00b\x07c\x08d\x7fe", "abcde"},
		{"tab", "a\tb", "a b"},
		{"lf", "one\ntwo", "one⏎two"},
		{"crlf", "one\r\ntwo", "one⏎two"},
		{"cr", "one\rtwo", "one⏎two"},
		{"blank line kept", "a\n\nb", "a⏎⏎b"},
		{"bidi override", "a\u202eSSAP\u202cb", "aSSAPb"},
		{"bidi isolate", "a\u2066x\u2069b", "axb"},
		{"invalid utf8", "a\xffb\xc3", "a\uFFFDb\uFFFD"},
		{"utf8 kept", "ünïcødé → ✓", "ünïcødé → ✓"},
		{"line separator", "a\u2028b", "a⏎b"},
		{"can aborts osc", "a\x1b]0;x\x18b", "ab"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Clean(tc.in); got != tc.want {
				t.Errorf("Clean(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestCleanNBounds(t *testing.T) {
	if got := CleanN("abcdefgh", 5); got != "abcd…" {
		t.Errorf("CleanN = %q, want abcd…", got)
	}
	if got := CleanN("ééééé", 5); got != "ééééé" {
		t.Errorf("CleanN at the bound = %q", got)
	}
	if got := CleanN("\x1b[31mabc\x1b[0m", 3); got != "abc" {
		t.Errorf("escapes count for nothing: %q", got)
	}
	long := strings.Repeat("x", 10*MaxLen)
	if got := Clean(long); utf8.RuneCountInString(got) != MaxLen || !strings.HasSuffix(got, Ellipsis) {
		t.Errorf("Clean of %d runes kept %d", len(long), utf8.RuneCountInString(got))
	}
	if got := CleanN(long, 0); got != long {
		t.Error("CleanN(s, 0) is unbounded")
	}
}

func TestCleanLines(t *testing.T) {
	in := "\x1b[1mdeploying\x1b[0m\r\nstep 1\rstep 2\n" + Hostile + "\n\tdone\x07"
	want := "deploying\nstep 1\nstep 2\n…\nP1 PASS\n done"
	if got := CleanLines(in); got != want {
		t.Errorf("CleanLines = %q, want %q", got, want)
	}
	if got := CleanLines("a\nb"); got != "a\nb" {
		t.Errorf("plain lines changed: %q", got)
	}
	big := strings.Repeat("line\n", MaxLinesLen)
	if got := CleanLines(big); len(got) > MaxLinesLen+len(Ellipsis) || !strings.HasSuffix(got, Ellipsis) {
		t.Errorf("CleanLines of %d bytes kept %d", len(big), len(got))
	}
}

func TestFirstLine(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		more int
	}{
		{"one", "one", 0},
		{"\none\ntwo\nthree\n", "one", 2},
		{"a\r\nb", "a", 1},
		{"", "", 0},
	} {
		if got, more := FirstLine(tc.in); got != tc.want || more != tc.more {
			t.Errorf("FirstLine(%q) = %q, %d; want %q, %d", tc.in, got, more, tc.want, tc.more)
		}
	}
}

func TestStrings(t *testing.T) {
	type inner struct {
		Name string
		Any  any
	}
	type named string
	v := struct {
		A       string
		N       named
		P       *string
		S       []string
		M       map[string]string
		I       inner
		Ptr     *inner
		Raw     []byte
		private string
	}{
		A:       Hostile,
		N:       named(Hostile),
		P:       new(Hostile),
		S:       []string{Hostile},
		M:       map[string]string{"k\x1b[2J": Hostile},
		I:       inner{Name: Hostile, Any: map[string]any{"d": []any{Hostile, 1.0}}},
		Ptr:     &inner{Any: Hostile},
		Raw:     []byte(Hostile),
		private: Hostile,
	}
	Strings(&v)
	want := Clean(Hostile)
	if v.A != want || string(v.N) != want || *v.P != want || v.S[0] != want || v.I.Name != want || v.Ptr.Any != want {
		t.Errorf("not cleaned: %+v", v)
	}
	if v.M["k"] != want || len(v.M) != 1 {
		t.Errorf("map not cleaned: %q", v.M)
	}
	if d := v.I.Any.(map[string]any)["d"].([]any); d[0] != want || d[1] != 1.0 {
		t.Errorf("interface not cleaned: %q", d)
	}
	if string(v.Raw) != Hostile || v.private != Hostile {
		t.Error("bytes and unexported fields are left alone")
	}
	Strings(nil) // no panic
}

// unsafeIn reports the first byte or rune a terminal could act on.
func unsafeIn(s string, lines bool) (string, bool) {
	for i, r := range s {
		switch {
		case r == '\n' && lines:
		case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
			return s[i:], true
		case bidi(r):
			return s[i:], true
		}
	}
	if !utf8.ValidString(s) {
		return "invalid utf-8", true
	}
	return "", false
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{Hostile, "", "plain", "\x1b[31mred\x1b[0m", "a\x1b]8;;u\x1b\\b", "\xff\xfe", "\u009b2J",
		"\u202eabc", "a\r\nb\rc", "\x1bP\x1b\\", strings.Repeat("é", MaxLen+3)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		one := Clean(s)
		if at, bad := unsafeIn(one, false); bad {
			t.Fatalf("Clean(%q) = %q keeps %q", s, one, at)
		}
		if strings.ContainsAny(one, "\x1b\x07\r\n") {
			t.Fatalf("Clean(%q) = %q keeps ESC, BEL, CR or LF", s, one)
		}
		if n := utf8.RuneCountInString(one); n > MaxLen {
			t.Fatalf("Clean kept %d runes > %d", n, MaxLen)
		}
		if Clean(one) != one {
			t.Fatalf("Clean is not idempotent on %q", s)
		}
		many := CleanLines(s)
		if at, bad := unsafeIn(many, true); bad {
			t.Fatalf("CleanLines(%q) = %q keeps %q", s, many, at)
		}
		if strings.ContainsAny(many, "\x1b\x07\r") {
			t.Fatalf("CleanLines(%q) = %q keeps ESC, BEL or CR", s, many)
		}
		if len(many) > MaxLinesLen+len(Ellipsis) {
			t.Fatalf("CleanLines kept %d bytes", len(many))
		}
	})
}
