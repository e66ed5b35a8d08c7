package config

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml"
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
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	return Parse(path, raw, os.LookupEnv)
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// Parse is Load on bytes already read, with an injectable environment.
func Parse(path string, raw []byte, lookupEnv func(string) (string, bool)) (*Config, error) {
	sum := sha256.Sum256(raw)
	verr := &ValidationError{File: path}

	expanded := expandEnv(raw, lookupEnv, verr)
	var cfg Config
	if err := yaml.UnmarshalWithOptions(expanded, &cfg, yaml.DisallowUnknownField()); err != nil {
		return nil, decodeError(path, err)
	}
	cfg.Path = path
	cfg.Hash = hex.EncodeToString(sum[:])
	cfg.applyDefaults(lookupEnv)
	cfg.validate(verr)
	if len(verr.Problems) > 0 {
		verr.locate(expanded)
		return nil, verr
	}
	return &cfg, nil
}

// expandEnv replaces ${VAR}; an unset variable is a problem, not an empty string.
func expandEnv(raw []byte, lookupEnv func(string) (string, bool), verr *ValidationError) []byte {
	lines := bytes.Split(raw, []byte("\n"))
	for i, line := range lines {
		lines[i] = envRef.ReplaceAllFunc(line, func(m []byte) []byte {
			name := string(envRef.FindSubmatch(m)[1])
			v, ok := lookupEnv(name)
			if !ok {
				verr.Problems = append(verr.Problems, Problem{Line: i + 1,
					Msg: fmt.Sprintf("environment variable %s is not set (export it, or write the value)", name)})
			}
			return []byte(v)
		})
	}
	return bytes.Join(lines, []byte("\n"))
}

// decodeError turns a YAML decode error into "file:line: message".
func decodeError(path string, err error) error {
	var derr *durationError
	if errors.As(err, &derr) {
		return &ValidationError{File: path, Problems: []Problem{{Line: derr.line, Path: derr.path, Msg: derr.msg}}}
	}
	var yerr yaml.Error
	if errors.As(err, &yerr) && yerr.GetToken() != nil {
		pos := yerr.GetToken().Position
		return &ValidationError{File: path, Problems: []Problem{{Line: pos.Line, Msg: yerr.GetMessage()}}}
	}
	return fmt.Errorf("%s: %w", path, err)
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
	for i, p := range e.Problems {
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

// locate finds each problem's line by walking its path, then its parents, in the AST.
func (e *ValidationError) locate(src []byte) {
	file, err := yamlParse(src)
	if err != nil {
		return
	}
	for i := range e.Problems {
		p := &e.Problems[i]
		for path := p.Path; p.Line == 0 && strings.HasPrefix(path, "$."); path = parentPath(path) {
			yp, err := yaml.PathString(path)
			if err != nil {
				continue
			}
			if node, err := yp.FilterFile(file); err == nil && node != nil && node.GetToken() != nil {
				p.Line = node.GetToken().Position.Line
			}
		}
	}
}

func parentPath(p string) string {
	if i := strings.LastIndex(p, "."); i > 1 {
		return p[:i]
	}
	return ""
}
