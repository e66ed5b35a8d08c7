package notify

import (
	"errors"
	"net/url"
	"strings"

	"github.com/openagents/cockpit/internal/redact"
)

// secretURL knows what may leak a target's URL into text: the URL as
// written and as Go re-encodes it (which become the redacted URL), and its
// path, query, fragment and password (which become [REDACTED]).
type secretURL struct {
	shown string
	forms []string
	parts []string
}

func newSecretURL(raw string) secretURL {
	s := secretURL{shown: redact.URL(raw), forms: []string{raw}}
	u, err := url.Parse(raw)
	if err != nil {
		return s
	}
	s.forms = append(s.forms, u.String())
	s.parts = []string{u.RawQuery, u.Fragment}
	if p := u.EscapedPath(); len(p) > 1 {
		s.parts = append(s.parts, p, u.Path)
	}
	if pw, ok := u.User.Password(); ok {
		s.parts = append(s.parts, pw)
	}
	return s
}

// redact removes the URL's secrets from text.
func (s secretURL) redact(text string) string {
	for _, f := range s.forms {
		text = strings.ReplaceAll(text, f, s.shown)
	}
	return redact.Redact(text, s.parts...)
}

// error is err with no secret of the URL in its text. A transport error
// (*url.Error) is unwrapped first: its text repeats the URL.
func (s secretURL) error(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	return errors.New(s.redact(err.Error()))
}
