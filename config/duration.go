package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// UnmarshalYAML parses "90s", "5m", "1h30m". A bare number is refused: "5"
// could mean seconds or minutes, and a cutover tool must not guess. It takes
// the AST node, not bytes, so an error can name the value's own line and key
// (flow mappings and repeated values included).
func (d *Duration) UnmarshalYAML(node ast.Node) error {
	s := strings.Trim(strings.TrimSpace(node.String()), `"'`)
	if s == "" || s == "null" || s == "~" {
		*d = 0
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return newDurationError(node, fmt.Sprintf("%q is not a duration (try \"5m\" or \"30s\")", s))
	}
	if v < 0 {
		return newDurationError(node, fmt.Sprintf("%q is negative", s))
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration the way it is read.
func (d Duration) MarshalYAML() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// String renders the duration like "5m0s".
func (d Duration) String() string { return time.Duration(d).String() }

// durationError carries the offending value's line and YAML path, which the
// decoder would otherwise drop from a custom unmarshaler's error.
type durationError struct {
	line int
	path string // e.g. $.signals.error_rate.for
	msg  string
}

func newDurationError(node ast.Node, msg string) *durationError {
	e := &durationError{path: node.GetPath(), msg: msg}
	if tok := node.GetToken(); tok != nil && tok.Position != nil {
		e.line = tok.Position.Line
	}
	return e
}

func (e *durationError) Error() string { return e.msg }
