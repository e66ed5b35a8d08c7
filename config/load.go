package config

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"

	"github.com/openagents/cockpit/internal/redact"
)

// DefaultPath is $XDG_CONFIG_HOME/cockpit/config.yaml (or ~/.config/…).
func DefaultPath() string {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "cockpit", "config.yaml")
}

// Load reads, expands, decodes, defaults and validates the file at path.
// A *ValidationError lists every problem at once, each with its file:line.
func Load(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no config at %s: pass --config FILE, start the rehearsal world with `cockpit rehearse`"+
			" (it writes one), or start from `cockpit config example`", path)
	}
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	cfg, err := Parse(path, raw, os.LookupEnv)
	if err != nil {
		return nil, err
	}
	set := newSecretSet(cfg.Secrets...)
	cfg.readSecretFiles(set)
	cfg.Secrets = set.r.Secrets()
	return cfg, nil
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// Parse is Load on bytes already read, with an injectable environment.
func Parse(path string, raw []byte, lookupEnv func(string) (string, bool)) (*Config, error) {
	sum := sha256.Sum256(raw)
	verr := &ValidationError{File: path}

	expanded, secrets := expandEnv(raw, lookupEnv, verr)
	// The expanded source is parsed once: decoding, the explicit keys and
	// the problems' lines all read this tree (a watch's first paint waits
	// for the config).
	file, _ := yamlParse(expanded)
	var cfg Config
	if err := decodeAll(path, expanded, file, &cfg, verr); err != nil {
		return nil, redactErr(err, secrets)
	}
	cfg.Path = path
	cfg.Hash = hex.EncodeToString(sum[:])
	cfg.explicit = explicitKeysOf(file)
	cfg.applyDefaults(lookupEnv)
	set := newSecretSet(secrets...)
	cfg.collectSecrets(set, lookupEnv)
	cfg.Secrets = set.r.Secrets()
	cfg.validate(verr)
	validateArgvRefs(raw, verr)
	if len(verr.Problems) > 0 {
		verr.locate(file)
		return nil, redactErr(verr, cfg.Secrets)
	}
	cfg.Warnings = cfg.warn(file)
	return &cfg, nil
}

// expandEnv replaces ${VAR}; an unset variable is a problem, not an empty
// string. It returns every value it put in, each once, longest first (so
// a secret that contains another is redacted whole): the config's secrets.
func expandEnv(raw []byte, lookupEnv func(string) (string, bool), verr *ValidationError) ([]byte, []string) {
	var secrets []string
	expanded := replaceRefs(raw, func(name string, line int) string {
		v, ok := lookupEnv(name)
		if !ok {
			verr.Problems = append(verr.Problems, Problem{Line: line,
				Msg: fmt.Sprintf("environment variable %s is not set (export it, or write the value)", name)})
		}
		if v != "" && !slices.Contains(secrets, v) {
			secrets = append(secrets, v)
		}
		return v
	})
	slices.SortStableFunc(secrets, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	return expanded, secrets
}

// replaceRefs replaces each ${VAR} with what repl says for it (given the
// variable's name and its 1-based line). A comment line is left as it is
// (a commented-out ${VAR} needs no variable).
func replaceRefs(raw []byte, repl func(name string, line int) string) []byte {
	lines := bytes.Split(raw, []byte("\n"))
	for i, line := range lines {
		if bytes.HasPrefix(bytes.TrimLeft(line, " \t"), []byte("#")) {
			continue
		}
		lines[i] = envRef.ReplaceAllFunc(line, func(m []byte) []byte {
			return []byte(repl(string(envRef.FindSubmatch(m)[1]), i+1))
		})
	}
	return bytes.Join(lines, []byte("\n"))
}

// redactErr keeps secrets out of a load error: a decode error quotes the
// offending YAML, which may be a token's line, and a validation message
// may quote a URL with its password (redact.Redact).
func redactErr(err error, secrets []string) error {
	var verr *ValidationError
	if errors.As(err, &verr) {
		for i := range verr.Problems {
			verr.Problems[i].Msg = redact.Redact(verr.Problems[i].Msg, secrets...)
		}
		return err
	}
	msg := redact.Redact(err.Error(), secrets...)
	if msg == err.Error() {
		return err
	}
	return errors.New(msg)
}

// maxDecodeProblems bounds decodeAll's retries on a badly broken file.
const maxDecodeProblems = 50

// decodeAll decodes src into cfg. The decoder stops at its first error, so
// after each one the offending line (and the lines nested under it) is
// blanked out and decoding runs again: one run names every decode problem
// (unknown fields, bad durations, wrong types), each at its own line. A
// file with decode problems is not validated further, since what was
// blanked out would only produce misleading follow-on problems. The first
// run decodes file, src already parsed (nil when src does not parse).
func decodeAll(path string, src []byte, file *ast.File, cfg *Config, verr *ValidationError) error {
	lines := strings.Split(string(src), "\n")
	found := 0
	for range maxDecodeProblems {
		*cfg = Config{}
		var err error
		if found == 0 && file != nil {
			err = decodeFile(file, cfg)
		} else {
			err = yaml.UnmarshalWithOptions([]byte(strings.Join(lines, "\n")), cfg, yaml.DisallowUnknownField())
		}
		if err == nil {
			break
		}
		p, ok := decodeProblem(err)
		if !ok || p.Line < 1 || p.Line > len(lines) || strings.TrimSpace(lines[p.Line-1]) == "" {
			if found > 0 {
				break // what is left cannot be located: report what was found
			}
			return fmt.Errorf("%s: %w", path, err)
		}
		verr.Problems = append(verr.Problems, p)
		found++
		blankOut(lines, p.Line-1)
	}
	if found > 0 {
		return verr
	}
	return nil
}

// decodeFile decodes file's first document into cfg, as yaml.Unmarshal
// would its source: an empty file leaves cfg zero.
func decodeFile(file *ast.File, cfg *Config) error {
	if len(file.Docs) == 0 || file.Docs[0].Body == nil {
		return nil
	}
	return yaml.NodeToValue(file.Docs[0].Body, cfg, yaml.DisallowUnknownField())
}

// decodeProblem turns a YAML decode error into a located problem.
func decodeProblem(err error) (Problem, bool) {
	var derr *durationError
	if errors.As(err, &derr) {
		return Problem{Line: derr.line, Path: derr.path, Msg: derr.msg}, true
	}
	var yerr yaml.Error
	if errors.As(err, &yerr) && yerr.GetToken() != nil && yerr.GetToken().Position != nil {
		line := yerr.GetToken().Position.Line
		if yerr.GetMessage() == "mapping value is not allowed in this context" {
			line = mappingValueLine(yerr.GetToken())
		}
		return Problem{Line: line, Msg: yerr.GetMessage()}, true
	}
	return Problem{}, false
}

// mappingValueLine is where a key that is not allowed where it stands
// ("x\n  y: 1") is. The parser reports the token before it, a line early;
// the line of the ':' that is not allowed is the one to fix.
func mappingValueLine(tok *token.Token) int {
	line := tok.Position.Line
	next := tok.Next
	for i := 0; i < 3 && next != nil; i, next = i+1, next.Next {
		if next.Type == token.MappingValueType && next.Position != nil && next.Position.Line > line {
			return next.Position.Line
		}
	}
	return line
}

// blankOut turns line i, and the more-indented lines below it, into empty
// lines, so the line numbers of everything else stay true.
func blankOut(lines []string, i int) {
	indent := len(lines[i]) - len(strings.TrimLeft(lines[i], " "))
	lines[i] = ""
	for j := i + 1; j < len(lines); j++ {
		t := strings.TrimLeft(lines[j], " ")
		if t != "" && len(lines[j])-len(t) <= indent {
			return
		}
		lines[j] = ""
	}
}

// ValidationError holds every problem found in one file.
type ValidationError struct {
	File     string
	Problems []Problem
}

// Problem is one thing wrong, at a YAML path and (once located) a line.
type Problem struct {
	Path string // e.g. $.signals.error_rate.for
	Line int
	Msg  string
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	problems := slices.Clone(e.Problems)
	slices.SortStableFunc(problems, func(a, b Problem) int { return cmp.Compare(a.Line, b.Line) })
	for i, p := range problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
		}
		b.WriteString(": ")
		if p.Path != "" {
			b.WriteString(strings.TrimPrefix(p.Path, "$."))
			b.WriteString(": ")
		}
		b.WriteString(p.Msg)
	}
	return b.String()
}

func (e *ValidationError) add(path, format string, args ...any) {
	e.Problems = append(e.Problems, Problem{Path: path, Msg: fmt.Sprintf(format, args...)})
}

// locate finds each problem's line by walking its path, then its parents,
// in file, the parsed source (nil: the lines stay unknown).
func (e *ValidationError) locate(file *ast.File) {
	if file == nil {
		return
	}
	for i := range e.Problems {
		p := &e.Problems[i]
		for path := p.Path; p.Line == 0 && strings.HasPrefix(path, "$."); path = parentPath(path) {
			p.Line = lineOf(file, path)
		}
	}
}

// lineOf is the line of the key path names (a block mapping's own first
// token is on the line below its key), or of the list element it names;
// 0 when path is not in the file.
func lineOf(file *ast.File, path string) int {
	if node := filterPath(file, path); node != nil {
		if parent := filterPath(file, parentPath(path)); parent != nil && !strings.HasSuffix(path, "]") {
			key := path[strings.LastIndex(path, ".")+1:]
			for _, mv := range mappingValues(parent) {
				if mv.Key != nil && mv.Key.GetToken() != nil && mv.Key.GetToken().Value == key {
					return mv.Key.GetToken().Position.Line
				}
			}
		}
		return node.GetToken().Position.Line
	}
	return 0
}

// filterPath is the node at path, or nil; "$" is the document's root.
func filterPath(file *ast.File, path string) ast.Node {
	if path == "$" {
		if len(file.Docs) > 0 {
			return file.Docs[0].Body
		}
		return nil
	}
	yp, err := yaml.PathString(path)
	if err != nil {
		return nil
	}
	node, err := yp.FilterFile(file)
	if err != nil || node == nil || node.GetToken() == nil {
		return nil
	}
	return node
}

func mappingValues(n ast.Node) []*ast.MappingValueNode {
	switch m := n.(type) {
	case *ast.MappingNode:
		return m.Values
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{m}
	}
	return nil
}

// parentPath drops path's last key or list index: $.a.argv[3] → $.a.argv → $.a.
func parentPath(p string) string {
	if strings.HasSuffix(p, "]") {
		if i := strings.LastIndex(p, "["); i > 1 {
			return p[:i]
		}
	}
	if i := strings.LastIndex(p, "."); i > 1 {
		return p[:i]
	}
	if p != "$" && strings.HasPrefix(p, "$.") {
		return "$"
	}
	return ""
}
