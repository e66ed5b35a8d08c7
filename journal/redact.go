package journal

import (
	"net/url"
	"regexp"
	"strings"
)

// Redacted replaces every secret the journal is told about.
const Redacted = "[REDACTED]"

var (
	// urlWithUserinfo finds URLs with credentials, e.g. postgres://u:pw@host/db.
	urlWithUserinfo = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s/@]+@[^\s]*`)
	// bearer finds "Bearer <token>" in headers or error messages.
	bearer = regexp.MustCompile(`(?i)(bearer\s+)[A-Za-z0-9\-._~+/]+=*`)
	// signature finds the legacy runtime's signed header value, which would
	// let a reader replay nothing (nonces are single-use) but still leaks claims.
	signature = regexp.MustCompile(`v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{20,}`)
)

// Redact removes secrets from s: each of the given secrets verbatim, URL
// passwords (postgres://user:pw@… keeps the user), bearer tokens and legacy
// signature headers. Empty secrets are ignored so that an unset secret
// cannot blank out the whole string.
func Redact(s string, secrets ...string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, Redacted)
		}
	}
	s = urlWithUserinfo.ReplaceAllStringFunc(s, redactURL)
	s = bearer.ReplaceAllString(s, "${1}"+Redacted)
	return signature.ReplaceAllString(s, Redacted)
}

// redactURL keeps the user name (it says who connected) and drops the password.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, has := u.User.Password(); !has {
		return raw
	}
	u.User = url.UserPassword(u.User.Username(), "xxxxx")
	return strings.Replace(u.String(), ":xxxxx@", ":"+Redacted+"@", 1)
}
