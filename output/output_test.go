package output

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/openagents/cockpit/checks"
)

func TestRegistryGet(t *testing.T) {
	r := Registry[string]{Text: "t", JSON: "j"}
	if f, err := r.Get("json"); err != nil || f != "j" {
		t.Errorf(`Get("json") = %q, %v`, f, err)
	}
	for _, name := range []string{"yaml", "", "JSON", "text "} {
		_, err := r.Get(name)
		var unknown *UnknownError
		if !errors.As(err, &unknown) {
			t.Errorf("Get(%q) = %v, want an UnknownError", name, err)
		}
	}
	_, err := r.Get("yaml")
	if want := `-o "yaml" is not an output format: want text, json or markdown`; err == nil || err.Error() != want {
		t.Errorf("unknown format: %v, want %s", err, want)
	}
	// The unknown error is the registry's, not the verb's: the same text
	// from a verb that prints all three.
	_, err2 := Registry[int]{Text: 1, JSON: 2, Markdown: 3}.Get("yaml")
	if err2 == nil || err2.Error() != err.Error() {
		t.Errorf("two verbs answer -o yaml differently: %v / %v", err, err2)
	}
	_, err = r.Get("markdown")
	if want := "-o markdown: this verb prints text or json"; err == nil || err.Error() != want {
		t.Errorf("a format the verb lacks: %v, want %s", err, want)
	}
	if h := (Registry[int]{Markdown: 1, Text: 2}).Help(); h != "output: text or markdown" {
		t.Errorf("Help() = %q", h)
	}
	if h := (Registry[int]{JSON: 1}).Help(); h != "output: json" {
		t.Errorf("Help() = %q", h)
	}
}

func TestWriteJSON(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, map[string]int{"a": 1}); err != nil || b.String() != "{\n  \"a\": 1\n}\n" {
		t.Errorf("WriteJSON wrote %q, %v", b.String(), err)
	}
	if err := WriteJSON(&b, func() {}); err == nil || !strings.HasPrefix(err.Error(), "writing the report: ") {
		t.Errorf("an unencodable report: %v", err)
	}
}

// TestPainterHonoursTerminalAndNoColor: colour only on a terminal that
// did not ask for none; the words are the same either way.
func TestPainterHonoursTerminalAndNoColor(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	for _, c := range []struct {
		name   string
		p      Painter
		colour bool
	}{
		{"terminal", NewPainter(true, env("TERM", "xterm-256color")), true},
		{"terminal without TERM", NewPainter(true, env()), true},
		{"pipe", NewPainter(false, env("TERM", "xterm")), false},
		{"NO_COLOR=1", NewPainter(true, env("TERM", "xterm", "NO_COLOR", "1")), false},
		{"NO_COLOR=0 (any value counts)", NewPainter(true, env("NO_COLOR", "0")), false},
		{"TERM=dumb", NewPainter(true, env("TERM", "dumb")), false},
	} {
		got := c.p.Verdict(checks.Fail, "FAIL")
		if hasESC := strings.Contains(got, "\x1b"); hasESC != c.colour {
			t.Errorf("%s: %q, want colour %v", c.name, got, c.colour)
		}
		if !strings.Contains(got, "FAIL") {
			t.Errorf("%s: the verdict's word is lost: %q", c.name, got)
		}
	}
	on := NewPainter(true, env())
	if got := on.Verdict(checks.Pass, "PASS"); !strings.HasPrefix(got, "\x1b[32mPASS") {
		t.Errorf("PASS is not green: %q", got)
	}
}

// TestToneOf: every verdict has a tone, and only PASS is green.
func TestToneOf(t *testing.T) {
	want := map[checks.Verdict]Tone{checks.Pass: ToneOK, checks.Warn: ToneWarn, checks.Pending: ToneWarn,
		checks.Fail: ToneCrit, checks.Unknown: ToneStale, checks.NotJudged: ToneStale}
	for v, tone := range want {
		if got := ToneOf(v); got != tone {
			t.Errorf("ToneOf(%s) = %d, want %d", v, got, tone)
		}
	}
	green := ToneOK.Style().Render("x")
	for _, tone := range []Tone{ToneWarn, ToneCrit, ToneStale} {
		if tone.Style().Render("x") == green {
			t.Errorf("tone %d is drawn like PASS", tone)
		}
	}
}
