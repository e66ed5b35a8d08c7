package config

import (
	"slices"

	"github.com/goccy/go-yaml/ast"
)

// warn lists what is valid but will hold a gate for good, each at its
// line: a config that validates must not wait for the day of the cutover
// to say so.
func (c *Config) warn(file *ast.File) []Problem {
	w := &ValidationError{File: c.Path}
	for _, name := range sortedKeys(c.Environments) {
		env := c.Environments[name]
		if env == nil || !env.Production {
			continue
		}
		p := "$.environments." + name + ".parity"
		switch {
		case env.Parity.Reports == "":
			w.add(p, "warning: production has no parity source (parity.reports and parity.harness): S4's parity gates"+
				" (P1, P2, V3) judge this environment's own reports and can never pass without --override-reason;"+
				" give it a reports glob, a harness and a capture, as staging has")
		case len(env.Parity.Harness.Argv) == 0 && env.Parity.Harness.HTTP == nil:
			w.add(p, "warning: production has parity.reports but no parity.harness: nothing the cockpit runs writes a"+
				" report there, so S4's parity gates (P1, P2, V3) pass only while something else keeps one younger than"+
				" max_age (%s); give it a harness and a capture, as staging has", env.Parity.MaxAge)
		}
	}
	w.locate(file)
	return slices.Clone(w.Problems)
}

// WarningText renders the warnings one a line, "file:line: path: warning: …",
// or "" when there are none.
func (c *Config) WarningText() string {
	if len(c.Warnings) == 0 {
		return ""
	}
	return (&ValidationError{File: c.Path, Problems: c.Warnings}).Error()
}
