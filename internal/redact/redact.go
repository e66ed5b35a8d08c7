// Package redact removes secrets from text: the journal's records, the
// config's errors, every output and the screen share this one rule (a leaf,
// so that config can use it without importing the journal).
package redact

import (
	"cmp"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// Redacted replaces every secret the journal is told about.
const Redacted = "[REDACTED]"

var (
	// urlPassword finds the password of a URL with credentials, e.g. the pw
	// of postgres://u:pw@host/db: group 1 is everything before it.
	urlPassword = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^\s/@:]*:)([^\s/@]+)@`)
	// bearer finds "Bearer <token>" in headers or error messages.
	bearer = regexp.MustCompile(`(?i)(bearer\s+)([A-Za-z0-9\-._~+/]+=*)`)
	// signature finds the legacy runtime's signed header value, which would
	// let a reader replay nothing (nonces are single-use) but still leaks claims.
	signature = regexp.MustCompile(`v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{20,}`)
)

// Redact removes secrets from s: each of the given secrets verbatim, URL
// passwords (postgres://user:pw@… keeps the user), bearer tokens and legacy
// signature headers. Empty secrets are ignored so that an unset secret
// cannot blank out the whole string. Secrets are replaced in the order
// given: a secret that contains another must come first (longest first).
func Redact(s string, secrets ...string) string {
	return hide(s, secrets, func(string) string { return Redacted })
}

// Mask is Redact for text laid out to the column (a terminal screen): each
// secret becomes as many '*' as it has runes, so nothing after it moves and
// no line grows past the width it was drawn for.
func Mask(s string, secrets ...string) string {
	return hide(s, secrets, func(secret string) string { return strings.Repeat("*", utf8.RuneCountInString(secret)) })
}

// hide replaces every secret of s, named or found by pattern, with what
// cover makes of it.
func hide(s string, secrets []string, cover func(secret string) string) string {
	for _, sec := range secrets {
		if sec != "" && strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, cover(sec))
		}
	}
	if !strings.Contains(s, "\n") {
		return hidePatterns(s, cover)
	}
	// The patterns run line by line, and only on a line that can hold
	// them: a screen frame is 10 KB of which one line has a URL.
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		lines[i] = hidePatterns(l, cover)
	}
	return strings.Join(lines, "")
}

// hidePatterns covers what the patterns find in s.
func hidePatterns(s string, cover func(secret string) string) string {
	if strings.Contains(s, "://") {
		s = replaceGroup(urlPassword, s, cover)
	}
	if strings.Contains(strings.ToLower(s), "bearer") {
		s = replaceGroup(bearer, s, cover)
	}
	if strings.Contains(s, "v1.") {
		s = signature.ReplaceAllStringFunc(s, cover)
	}
	return s
}

// replaceGroup covers group 2 of every match of re, keeping group 1 (what
// says where the secret was: the URL's user, the word Bearer) and the rest.
// A group that is already Redacted is kept: text redacted once (the
// evidence view's) and masked again (the terminal's) still says so.
func replaceGroup(re *regexp.Regexp, s string, cover func(string) string) string {
	var b strings.Builder
	last := 0
	for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
		if s[m[4]:m[5]] == Redacted {
			continue
		}
		b.WriteString(s[last:m[4]])
		b.WriteString(cover(s[m[4]:m[5]]))
		last = m[5]
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// Redactor is one process's list of secrets, shared by every output of it
// (the journal's, the formatters', the screen's): what one part learns is
// a secret (a token read from a file) no other part shows either. Safe for
// concurrent use; a nil Redactor still removes what the patterns find.
type Redactor struct {
	mu      sync.RWMutex
	secrets []string
}

// NewRedactor is a Redactor that knows secrets.
func NewRedactor(secrets ...string) *Redactor {
	r := &Redactor{}
	r.Add(secrets...)
	return r
}

// Add names more secrets; the empty string and repeats are ignored, and
// the list is kept longest first so a secret that contains another is
// replaced whole.
func (r *Redactor) Add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		if s != "" && !slices.Contains(r.secrets, s) {
			r.secrets = append(r.secrets, s)
		}
	}
	slices.SortStableFunc(r.secrets, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
}

// Secrets is a copy of the list, longest first.
func (r *Redactor) Secrets() []string {
	if r == nil {
		return nil
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Clone(r.secrets)
}

// Redact is Redact with r's secrets.
func (r *Redactor) Redact(s string) string { return r.apply(s, Redact) }

// Mask is Mask with r's secrets.
func (r *Redactor) Mask(s string) string { return r.apply(s, Mask) }

func (r *Redactor) apply(s string, f func(string, ...string) string) string {
	if r == nil {
		return f(s)
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return f(s, r.secrets...)
}

// URL shows where a URL points and nothing it carries: scheme and host,
// with any user info, path, query or fragment replaced, e.g.
// https://hooks.slack.com/[REDACTED]. A URL that does not parse is
// redacted whole.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return Redacted
	}
	shown := u.Scheme + "://" + u.Host
	if len(u.EscapedPath()) > 1 || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		shown += "/" + Redacted
	}
	return shown
}
