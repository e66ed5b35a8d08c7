// Package importrules_test guards the import rules of the design's
// architecture (docs/design.md §3, Import rules), so that the next wrong arrow fails CI in
// seconds instead of being found in a review:
//
//   - the layers run one way: cmd → tui → executor → runbook → checks →
//     metrics → config; no layer depends on one above it;
//   - checks, metrics, runbook and the executor never link bubbletea or
//     lipgloss (charm.land/… or github.com/charmbracelet/…);
//   - config and journal are leaves: of this module, only internal/ below them;
//   - lock knows no verdicts: no checks, metrics or runbook (nor above);
//   - nothing imports sandbox except cmd/cockpit (rehearse) and tests.
//
// It reads the graph with `go list -json ./...` (production imports, each
// package's transitive Deps), so an arrow through a third package counts.
// A package named by a rule that does not exist yet (the executor) is held
// to the rule the day it appears.
package importrules_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// module is this repository's module path.
const module = "github.com/openagents/cockpit"

// layers is the dependency direction, lowest first: a package of a layer
// (or below its directory) may depend on its own layer and those before it.
var layers = []string{"config", "metrics", "checks", "runbook", "executor", "tui", "cmd"}

// pkg is one package of the module: its path relative to the module
// ("lock", "checks/dbroles") and its transitive dependencies (full paths).
type pkg struct {
	rel  string
	deps []string
}

// rule is one import rule: it returns the violations in the graph, one a
// line, each naming the importer, what it reaches and the fix.
type rule struct {
	name  string
	check func(graph []pkg) []string
}

var rules = []rule{
	{"layers run cmd → tui → executor → runbook → checks → metrics → config", layerDirection},
	{"checks, metrics, runbook and the executor never link bubbletea or lipgloss", noTerminalUI},
	{"config and journal are leaves (only internal/ below them)", leaves},
	{"lock knows no verdicts", lockKnowsNoVerdicts},
	{"nothing imports sandbox except cmd/cockpit and tests", sandboxOnlyFromCmd},
}

func TestImportRules(t *testing.T) {
	graph := listGraph(t)
	if len(graph) < 10 {
		t.Fatalf("go list found %d packages of %s: the test is not reading this module", len(graph), module)
	}
	for _, r := range rules {
		if bad := r.check(graph); len(bad) > 0 {
			t.Errorf("import rule broken: %s (docs/design.md §3):\n  %s", r.name, strings.Join(bad, "\n  "))
		}
	}
}

// TestRulesCatchWrongArrows: each rule fires on a graph with its wrong
// arrow and stays quiet on the arrows it allows (a guard that cannot fail
// guards nothing).
func TestRulesCatchWrongArrows(t *testing.T) {
	ours := func(rel string) string { return module + "/" + rel }
	allowed := []pkg{
		{"cmd/cockpit", []string{ours("tui"), ours("sandbox"), ours("executor"), "charm.land/bubbletea/v2"}},
		{"tui/plot", []string{ours("runbook"), "charm.land/lipgloss/v2"}},
		{"executor/guard", []string{ours("runbook"), ours("lock"), ours("journal")}},
		{"runbook", []string{ours("checks"), ours("checks/dbroles"), ours("lock")}},
		{"checks", []string{ours("metrics"), ours("config"), ours("internal/age"), "github.com/jackc/pgx/v5"}},
		{"config", []string{ours("internal/redact"), "github.com/goccy/go-yaml"}},
		{"journal", []string{ours("internal/safetext")}},
		{"lock", []string{ours("internal/age"), ours("journal")}},
		{"sandbox/rustsim", []string{ours("sandbox/simmetrics")}},
	}
	for _, r := range rules {
		if bad := r.check(allowed); len(bad) > 0 {
			t.Errorf("%s: refuses an allowed graph:\n  %s", r.name, strings.Join(bad, "\n  "))
		}
	}
	wrong := map[string]pkg{
		"layers run cmd → tui → executor → runbook → checks → metrics → config":      {"runbook", []string{ours("executor")}},
		"checks, metrics, runbook and the executor never link bubbletea or lipgloss": {"metrics", []string{"github.com/charmbracelet/x/ansi"}},
		"config and journal are leaves (only internal/ below them)":                  {"journal", []string{ours("notify")}},
		"lock knows no verdicts":                               {"lock", []string{ours("checks")}},
		"nothing imports sandbox except cmd/cockpit and tests": {"notify", []string{ours("sandbox/harness")}},
	}
	for _, r := range rules {
		w, ok := wrong[r.name]
		if !ok {
			t.Fatalf("no wrong arrow tried for rule %q", r.name)
		}
		if bad := r.check([]pkg{w}); len(bad) != 1 {
			t.Errorf("%s: %s → %v gave %d violations, want 1: %q", r.name, w.rel, w.deps, len(bad), bad)
		}
	}
}

// layerOf is the index in layers of rel's layer, or -1 outside them.
func layerOf(rel string) int {
	for i, l := range layers {
		if under(rel, l) {
			return i
		}
	}
	return -1
}

// under says whether rel is dir or a package below it.
func under(rel, dir string) bool { return rel == dir || strings.HasPrefix(rel, dir+"/") }

// ourRel is dep relative to the module, or "" for another module's package.
func ourRel(dep string) string {
	rel, ok := strings.CutPrefix(dep, module+"/")
	if !ok {
		return ""
	}
	return rel
}

func layerDirection(graph []pkg) []string {
	var bad []string
	for _, p := range graph {
		own := layerOf(p.rel)
		if own < 0 {
			continue
		}
		for _, d := range p.deps {
			if l := layerOf(ourRel(d)); l > own {
				bad = append(bad, fmt.Sprintf("%s (layer %s) depends on %s (layer %s, above it): move the shared part down or invert the call",
					p.rel, layers[own], ourRel(d), layers[l]))
			}
		}
	}
	return bad
}

func noTerminalUI(graph []pkg) []string {
	var bad []string
	for _, p := range graph {
		if !slices.ContainsFunc([]string{"checks", "metrics", "runbook", "executor"}, func(dir string) bool { return under(p.rel, dir) }) {
			continue
		}
		var ui []string
		for _, d := range p.deps {
			if strings.HasPrefix(d, "charm.land/") || strings.HasPrefix(d, "github.com/charmbracelet/") {
				ui = append(ui, d)
			}
		}
		if len(ui) > 0 {
			bad = append(bad, fmt.Sprintf("%s links %s (%d terminal-UI packages in all): rendering belongs to tui/ or the scripted output, not the engine",
				p.rel, ui[0], len(ui)))
		}
	}
	return bad
}

func leaves(graph []pkg) []string {
	var bad []string
	for _, p := range graph {
		if p.rel != "config" && p.rel != "journal" {
			continue
		}
		for _, d := range p.deps {
			if rel := ourRel(d); rel != "" && !under(rel, "internal") {
				bad = append(bad, fmt.Sprintf("%s depends on %s: a leaf imports only internal/ packages of ours (keep the feature's data plain in %s, its behaviour in %s)",
					p.rel, rel, p.rel, rel))
			}
		}
	}
	return bad
}

func lockKnowsNoVerdicts(graph []pkg) []string {
	var bad []string
	for _, p := range graph {
		if !under(p.rel, "lock") {
			continue
		}
		for _, d := range p.deps {
			if rel := ourRel(d); rel != "" && layerOf(rel) >= layerOf("metrics") {
				bad = append(bad, fmt.Sprintf("%s depends on %s: the lock knows no verdicts (put what both need in an internal/ leaf)", p.rel, rel))
			}
		}
	}
	return bad
}

func sandboxOnlyFromCmd(graph []pkg) []string {
	var bad []string
	for _, p := range graph {
		if under(p.rel, "sandbox") || p.rel == "cmd/cockpit" {
			continue
		}
		for _, d := range p.deps {
			if rel := ourRel(d); under(rel, "sandbox") {
				bad = append(bad, fmt.Sprintf("%s depends on %s: only cmd/cockpit (rehearse) and tests may use the rehearsal world", p.rel, rel))
			}
		}
	}
	return bad
}

// listGraph reads every package of the module with its production
// dependencies (tests may import anything the rules forbid production to).
func listGraph(t *testing.T) []pkg {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("no go command on PATH to read the import graph: %v", err)
		}
		t.Skipf("no go command on PATH: %v", err)
	}
	cmd := exec.Command(goTool, "list", "-json=ImportPath,Deps", module+"/...")
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list %s/...: %v\n%s", module, err, ee.Stderr)
		}
		t.Fatalf("go list %s/...: %v", module, err)
	}
	var graph []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p struct {
			ImportPath string
			Deps       []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decoding go list's output: %v", err)
		}
		if rel := ourRel(p.ImportPath); rel != "" {
			graph = append(graph, pkg{rel, p.Deps})
		}
	}
	return graph
}
