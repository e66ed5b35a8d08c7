package redact

import (
	"strings"
	"sync"
	"testing"
)

// TestRedactKeepsWhereAndHidesWhat: a URL keeps its user and host, a
// Bearer header its word; the password, the token and each named secret
// go, the longest first so a secret holding another goes whole.
func TestRedactKeepsWhereAndHidesWhat(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`Get "http://ops:pw-1@127.0.0.1:4100/healthz": refused`, `Get "http://ops:` + Redacted + `@127.0.0.1:4100/healthz": refused`},
		{"postgres://u:p:w@db/x?sslmode=disable", "postgres://u:" + Redacted + "@db/x?sslmode=disable"},
		{"http://host:8080/a@b", "http://host:8080/a@b"}, // a port is no password
		{"Authorization: Bearer abc.def-ghi", "Authorization: Bearer " + Redacted},
		{"already http://u:" + Redacted + "@h", "already http://u:" + Redacted + "@h"},
	} {
		if got := Redact(c.in); got != c.want {
			t.Errorf("Redact(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := Redact("tok-long tok", "tok-long", "tok"); got != Redacted+" "+Redacted {
		t.Errorf("nested secrets: %q", got)
	}
}

// TestMaskKeepsTheColumns: on a screen each secret becomes as many '*' as
// it has runes, so a line keeps its width; what was redacted stays so.
func TestMaskKeepsTheColumns(t *testing.T) {
	in := "│ source: http://ops:pässword@h/x?token=tok-123456 │"
	got := Mask(in, "tok-123456")
	want := "│ source: http://ops:********@h/x?token=********** │"
	if got != want {
		t.Errorf("Mask = %q, want %q", got, want)
	}
	if r := "http://u:" + Redacted + "@h"; Mask(r) != r {
		t.Errorf("Mask re-masked a redacted password: %q", Mask(r))
	}
}

// TestRedactorIsSharedAndSafe: secrets added by one goroutine are hidden
// by every user of the redactor, each once, the longest first; a nil
// redactor still applies the patterns.
func TestRedactorIsSharedAndSafe(t *testing.T) {
	r := NewRedactor("ab")
	var wg sync.WaitGroup
	for _, s := range []string{"abcdef", "", "ab", "xyz-secret"} {
		wg.Go(func() { r.Add(s) })
		wg.Go(func() { _ = r.Redact("abcdef xyz-secret") })
	}
	wg.Wait()
	if got := strings.Join(r.Secrets(), ","); got != "xyz-secret,abcdef,ab" {
		t.Errorf("Secrets = %s, want xyz-secret,abcdef,ab", got)
	}
	if got := r.Redact("abcdef ab xyz-secret"); got != strings.Repeat(Redacted+" ", 2)+Redacted {
		t.Errorf("Redact = %q", got)
	}
	var none *Redactor
	if got := none.Redact("http://u:pw@h"); got != "http://u:"+Redacted+"@h" || none.Secrets() != nil {
		t.Errorf("nil redactor: %q %q", got, none.Secrets())
	}
}

// BenchmarkRedactorRedactFrame is the cost of one write through a stream's
// redactor: a 200×50 screen frame (10 KB) against 40 secrets, two URLs
// with passwords in it.
func BenchmarkRedactorRedactFrame(b *testing.B) {
	var secrets []string
	for i := range 40 {
		secrets = append(secrets, strings.Repeat(string(rune('a'+i%26)), 12+i))
	}
	r := NewRedactor(secrets...)
	frame := strings.Repeat(strings.Repeat("x", 199)+"\n", 48) + "GET http://u:pw@h/healthz Bearer abc.def\n"
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		_ = r.Mask(frame)
	}
}

// TestURLShowsOnlyWhereItPoints: scheme and host stay, whatever the URL
// carries (user, path, query, fragment) goes, and what does not parse goes whole.
func TestURLShowsOnlyWhereItPoints(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"https://hooks.slack.com/services/T0/B0/tok", "https://hooks.slack.com/" + Redacted},
		{"https://audit.example", "https://audit.example"},
		{"https://audit.example/", "https://audit.example"},
		{"https://audit.example?sig=abc", "https://audit.example/" + Redacted},
		{"https://u:pw@audit.example", "https://audit.example/" + Redacted},
		{"/services/T0/tok", Redacted},
		{"http://[::1", Redacted},
	} {
		if got := URL(c.in); got != c.want {
			t.Errorf("URL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
