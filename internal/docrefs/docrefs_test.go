// Package docrefs_test keeps every citation in the repository pointing at
// something a clone has. Comments, scripts, the config example and the
// docs cite `docs/<name>.md §N`; a citation of a file outside the
// repository (the design and facts pages a development machine keeps
// beside the checkout), of a docs page that does not exist, or of a
// section the page lacks fails here, and so does a Markdown link to a
// missing file. The pages number their sections (`## N. Title`) so that
// citations carry over when a section's title changes.
package docrefs_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The patterns are built from parts, so this file does not cite what it
// refuses.
var (
	// docCite is a docs page named in a path, with the sections cited right
	// after it: "docs/design.md §9", "docs/runtime-facts.md §1, §2",
	// "docs/runbook.md" (comment markers may sit between them when a
	// citation is wrapped).
	docCite = regexp.MustCompile(`docs/([A-Za-z0-9_-]+\.md)((?:[\s,/#*]*(?:and\s+)?§\d+)*)`)
	section = regexp.MustCompile(`§(\d+)`)
	// heading is a numbered section of a docs page: "## 9. Budgets".
	heading = regexp.MustCompile(`(?m)^#{2,6} (\d+)\. `)
	// codePath is a path in backticks: `runbook/items.go`, `sandbox/`.
	codePath = regexp.MustCompile("`([A-Za-z0-9_.-]+/[A-Za-z0-9_./-]*)`")
	// mdLink is a relative Markdown link target.
	mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	// outside are citations of files a clone does not have.
	outside = []*regexp.Regexp{
		regexp.MustCompile(`\.\./` + `shared\b`),
		regexp.MustCompile(`\bDESIGN` + `(\.md\b| §)`),
		regexp.MustCompile(`\bSTYLE` + `\.md\b`),
		regexp.MustCompile(`reference/` + `runtime-facts`),
		regexp.MustCompile(`rust-runtime-authority-` + `cutover\.md`),
	}
	// bareFacts is the facts page cited without its place in the repository.
	bareFacts = regexp.MustCompile(`runtime-facts` + `(\.md)? §`)
)

// scanned says which files hold citations: sources, docs, scripts, the
// config example, migrations and CI's entry point.
func scanned(rel string) bool {
	switch filepath.Ext(rel) {
	case ".go", ".md", ".sh", ".yaml", ".yml", ".sql":
		return true
	}
	return strings.HasPrefix(rel, ".ci"+string(filepath.Separator))
}

// moduleRoot walks up from the test's directory to the one holding go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// repo is what the checker knows of the repository: each docs page's
// numbered sections, and whether a path exists.
type repo struct {
	root     string
	sections map[string][]string // page name → its section numbers
	topDirs  map[string]bool     // the repository's top-level directories
}

func loadRepo(t *testing.T, root string) repo {
	t.Helper()
	r := repo{root: root, sections: map[string][]string{}, topDirs: map[string]bool{}}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		// bin/ holds what a build left, not what a clone has.
		if e.IsDir() && e.Name() != "bin" {
			r.topDirs[e.Name()] = true
		}
	}
	pages, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var nums []string
		for _, m := range heading.FindAllStringSubmatch(string(raw), -1) {
			nums = append(nums, m[1])
		}
		r.sections[filepath.Base(p)] = nums
	}
	return r
}

// problems lists what is wrong with the citations in text, the content of
// the file at rel (slash-separated, relative to the module root).
func (r repo) problems(rel, text string) []string {
	var out []string
	line := func(off int) int { return strings.Count(text[:off], "\n") + 1 }
	for _, re := range outside {
		for _, loc := range re.FindAllStringIndex(text, -1) {
			out = append(out, fmt.Sprintf("%s:%d: cites %q, which a clone does not have: cite docs/design.md, docs/runtime-facts.md or docs/runbook.md",
				rel, line(loc[0]), text[loc[0]:loc[1]]))
		}
	}
	for _, loc := range bareFacts.FindAllStringIndex(text, -1) {
		if !strings.HasSuffix(text[:loc[0]], "docs/") && !strings.HasPrefix(text[loc[0]-min(loc[0], 10):loc[0]], "reference/") {
			out = append(out, fmt.Sprintf("%s:%d: cites %q without its place: write docs/runtime-facts.md §N", rel, line(loc[0]), text[loc[0]:loc[1]]))
		}
	}
	for _, m := range docCite.FindAllStringSubmatchIndex(text, -1) {
		page := text[m[2]:m[3]]
		nums, ok := r.sections[page]
		if !ok {
			out = append(out, fmt.Sprintf("%s:%d: cites docs/%s, which does not exist", rel, line(m[0]), page))
			continue
		}
		for _, s := range section.FindAllStringSubmatch(text[m[4]:m[5]], -1) {
			if !slices.Contains(nums, s[1]) {
				out = append(out, fmt.Sprintf("%s:%d: cites docs/%s §%s, which the page lacks (it has §%s)",
					rel, line(m[0]), page, s[1], strings.Join(nums, ", §")))
			}
		}
	}
	if filepath.Ext(rel) == ".md" {
		out = append(out, r.brokenLinks(rel, text)...)
		out = append(out, r.missingPaths(rel, text)...)
	}
	return out
}

// brokenLinks lists the relative Markdown links in the page at rel whose
// target does not exist in the repository.
func (r repo) brokenLinks(rel, text string) []string {
	var out []string
	for _, m := range mdLink.FindAllStringSubmatchIndex(text, -1) {
		target := text[m[2]:m[3]]
		if strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") {
			continue
		}
		target, _, _ = strings.Cut(target, "#")
		path := filepath.Join(r.root, filepath.Dir(filepath.FromSlash(rel)), filepath.FromSlash(target))
		if _, err := os.Stat(path); err != nil {
			out = append(out, fmt.Sprintf("%s:%d: links %q, which a clone does not have", rel, strings.Count(text[:m[0]], "\n")+1, target))
		}
	}
	return out
}

// missingPaths lists the repository paths a page names in backticks that
// do not exist: a page that says where something lives must stay true when
// it moves. Paths in other repositories (the runtime's `apps/runtime/…`)
// start with a directory this repository lacks and are left alone.
func (r repo) missingPaths(rel, text string) []string {
	var out []string
	for _, m := range codePath.FindAllStringSubmatchIndex(text, -1) {
		path := text[m[2]:m[3]]
		top, _, _ := strings.Cut(path, "/")
		if !r.topDirs[top] {
			continue
		}
		if _, err := os.Stat(filepath.Join(r.root, filepath.FromSlash(path))); err != nil {
			out = append(out, fmt.Sprintf("%s:%d: names %s, which the repository does not have (moved? say where it lives now)",
				rel, strings.Count(text[:m[0]], "\n")+1, path))
		}
	}
	return out
}

func TestEveryCitationPointsIntoTheRepository(t *testing.T) {
	root := moduleRoot(t)
	r := loadRepo(t, root)
	for _, page := range []string{"design.md", "runbook.md", "runtime-facts.md"} {
		if len(r.sections[page]) == 0 {
			t.Errorf("docs/%s is missing or has no numbered sections (## N. Title): code cites it by section", page)
		}
	}
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if rel == ".git" || rel == "bin" || rel == "vendor" {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !scanned(rel) {
			return nil
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for _, p := range r.problems(filepath.ToSlash(rel), string(raw)) {
			t.Error(p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("scanned only %d files under %s: the walk missed the repository", files, root)
	}
}

// The checker itself must be able to fail: each bad citation below is
// caught, and each good one passes.
func TestTheCheckerCatchesEveryKindOfBadCitation(t *testing.T) {
	root := moduleRoot(t)
	r := repo{root: root, sections: map[string][]string{
		"design.md": {"1", "2", "3", "9"}, "runtime-facts.md": {"1", "6", "8"}, "runbook.md": {"1"},
	}, topDirs: map[string]bool{"runbook": true, "docs": true}}
	bad := map[string]string{
		"the shared design":          "// budget (DESIGN" + " §9)",
		"the shared design by file":  "// see DESIGN" + ".md §3",
		"the shared folder":          "see `../" + "shared/runbook/x.md`",
		"the facts' old place":       "// (reference/runtime-" + "facts.md §6)",
		"the facts without a place":  "// (runtime-" + "facts §8)",
		"a page that does not exist": "// docs/" + "nothing.md §1",
		"a section the page lacks":   "// docs/design.md §4",
		"the second of two":          "// docs/runtime-facts.md §1, §7",
		"a wrapped citation":         "// the topology (docs/runtime-facts.md\n// §7)",
	}
	for name, text := range bad {
		if got := r.problems("x.go", text); len(got) == 0 {
			t.Errorf("%s: %q passed", name, text)
		}
	}
	if got := r.problems("README.md", "[gone](docs/"+"gone.md)"); len(got) == 0 {
		t.Error("a link to a missing file passed")
	}
	good := []string{
		"// budget (docs/design.md §9)",
		"// docs/runtime-facts.md §1, §6 and §8",
		"// docs/runbook.md",
		"// docs/design.md §9's budget",
		"// the topology (docs/runtime-facts.md\n// §8)",
		"// sharedlog/ and ../sharedlog are packages, not the shared folder",
	}
	for _, text := range good {
		if got := r.problems("x.go", text); len(got) != 0 {
			t.Errorf("%q: %v", text, got)
		}
	}
	if got := r.problems("x.md", "`runbook/items.go`, `runbook/`, `apps/runtime/src/config.rs`, `<state_dir>/x`"); len(got) != 0 {
		t.Errorf("good paths: %v", got)
	}
	if got := r.problems("README.md", "[design](docs/design.md), [web](https://example.com/x), [top](#tests)"); len(got) != 0 {
		t.Errorf("good links: %v", got)
	}
}
