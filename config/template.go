package config

import (
	"bytes"
	"fmt"
	"regexp"
	"sync"
	"text/template"
)

// The values an actuator template may use. Each actuator gets its own
// closed, typed set; nothing a remote system returns is ever interpolated.
type (
	// WriteModeValues fill set_rust_write_mode: {{.Env}}, {{.Mode}}.
	WriteModeValues struct {
		Env  string
		Mode string // rust_active | shadow_only | read_only
	}
	// FreezeValues fill set_legacy_freeze: {{.Env}}, {{.Freeze}} (true|false).
	FreezeValues struct {
		Env    string
		Freeze bool
	}
	// RouteValues fill route_writes: {{.Env}}, {{.Target}} (rust|legacy).
	RouteValues struct {
		Env    string
		Target string
	}
	// CohortValues fill set_cohort: {{.Env}}, {{.Percent}} (0–100).
	CohortValues struct {
		Env     string
		Percent int
	}
	// HarnessValues fill parity.harness and parity.capture: {{.Env}},
	// {{.OutputDir}} (the reports directory), {{.Report}} (a report path
	// unique to this run) and {{.CaptureDir}} (this run's snapshots).
	HarnessValues struct {
		Env        string
		OutputDir  string
		Report     string
		CaptureDir string
	}
)

// WriteModes are the Rust runtime's accepted RUNTIME_AUTHORITY_WRITE_MODE values.
var WriteModes = []string{"rust_active", "shadow_only", "read_only"}

// envName is what an environment may be called. Compiled on first use:
// its bounded repeat compiles to 63 copies, a millisecond at every start.
var envName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`) })

// Check refuses values outside their closed sets before anything is rendered.
func (v WriteModeValues) Check() error {
	for _, m := range WriteModes {
		if v.Mode == m {
			return nil
		}
	}
	return fmt.Errorf("write mode %q is not one of %v", v.Mode, WriteModes)
}

// Check refuses a target other than rust or legacy.
func (v RouteValues) Check() error {
	if v.Target != "rust" && v.Target != "legacy" {
		return fmt.Errorf("write target %q is not rust or legacy", v.Target)
	}
	return nil
}

// Check refuses a percentage outside 0–100.
func (v CohortValues) Check() error {
	if v.Percent < 0 || v.Percent > 100 {
		return fmt.Errorf("cohort %d%% is outside 0–100", v.Percent)
	}
	return nil
}

// Render fills one template string. Unknown template fields are errors, so a
// typo cannot silently render as an empty argument.
func Render(tmpl string, values any) (string, error) {
	t, err := template.New("").Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, values); err != nil {
		return "", err
	}
	return b.String(), nil
}

// RenderAll fills every element of an argv template.
func RenderAll(argv []string, values any) ([]string, error) {
	out := make([]string, len(argv))
	for i, a := range argv {
		s, err := Render(a, values)
		if err != nil {
			return nil, fmt.Errorf("argv[%d] %q: %w", i, a, err)
		}
		out[i] = s
	}
	return out, nil
}
