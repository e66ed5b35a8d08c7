// Package output is the scripted output of every verb: one registry of
// formats for -o (text, json, markdown), one error for a format that does
// not exist, JSON written one way, and the one verdict→colour map the
// screen shares, coloured through lipgloss only for a terminal that did
// not ask for NO_COLOR.
//
// The model is amtool's cli/format.Formatters (a name → formatter map
// looked up once per command); here each verb keeps its own Registry
// because each prints its own report, and the registry, not the verb,
// says what an unknown -o gets.
package output

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Format is what -o names.
type Format string

// The formats of scripted output.
const (
	Text     Format = "text"     // one line per item, for people (coloured on a terminal)
	JSON     Format = "json"     // for programs
	Markdown Format = "markdown" // for a post-mortem or a ticket
)

// Formats are every format, in the order errors and help list them.
var Formats = []Format{Text, JSON, Markdown}

// Registry is a verb's formatters: each format the verb prints and the
// formatter F that prints it.
type Registry[F any] map[Format]F

// Get is the formatter for -o name. A name that is no format gets the same
// error in every verb (UnknownError); a format this verb does not print
// names the ones it does.
func (r Registry[F]) Get(name string) (F, error) {
	f, ok := r[Format(name)]
	if ok {
		return f, nil
	}
	var zero F
	if !slices.Contains(Formats, Format(name)) {
		return zero, &UnknownError{Name: name}
	}
	return zero, fmt.Errorf("-o %s: this verb prints %s", name, list(r.formats()))
}

// Help is the -o flag's usage: "output: text or json".
func (r Registry[F]) Help() string { return "output: " + list(r.formats()) }

// formats are r's formats in the order of Formats.
func (r Registry[F]) formats() []Format {
	var out []Format
	for _, f := range Formats {
		if _, ok := r[f]; ok {
			out = append(out, f)
		}
	}
	return out
}

// UnknownError is -o naming no format: one line, the same in every verb.
type UnknownError struct{ Name string }

func (e *UnknownError) Error() string {
	return fmt.Sprintf("-o %q is not an output format: want %s", e.Name, list(Formats))
}

// list is "text, json or markdown".
func list(fs []Format) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = string(f)
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// WriteJSON writes v as one indented JSON document: every verb's -o json
// report (event streams write one object a line instead).
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	return nil
}
