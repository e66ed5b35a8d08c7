package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/goccy/go-yaml"

	"github.com/openagents/cockpit/internal/redact"
)

// Show renders the effective config (`cockpit config show`): what the
// cockpit will act on once defaults are applied and every signal override
// is merged, so an operator sees `for: 0s` where the file wrote it and 10m
// where it did not. With env, only that environment (and its merged
// signals, not the global ones, which it has absorbed). Every string passes
// through redact.Redact with the config's secrets: it is safe to paste.
// format is "yaml" or "json".
func (c *Config) Show(env, format string) ([]byte, error) {
	if format != "yaml" && format != "json" {
		return nil, fmt.Errorf("output %q is not a format: use -o yaml or -o json", format)
	}
	view, err := c.effectiveView(env)
	if err != nil {
		return nil, err
	}
	raw, err := yaml.Marshal(view)
	if err != nil {
		return nil, fmt.Errorf("rendering the effective config: %w", err)
	}
	var tree yaml.MapSlice
	if err := yaml.UnmarshalWithOptions(raw, &tree, yaml.UseOrderedMap()); err != nil {
		return nil, fmt.Errorf("re-reading the effective config: %w", err)
	}
	if env != "" {
		tree = slices.DeleteFunc(tree, func(item yaml.MapItem) bool { return item.Key == "signals" })
	}
	out, err := yaml.Marshal(redactTree(tree, c.Secrets))
	if err != nil || format == "yaml" {
		return out, err
	}
	js, err := yaml.YAMLToJSON(out)
	if err != nil {
		return nil, fmt.Errorf("rendering the effective config as JSON: %w", err)
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, js, "", "  "); err != nil {
		return nil, fmt.Errorf("indenting the effective config: %w", err)
	}
	return append(indented.Bytes(), '\n'), nil
}

// effectiveView is a copy of c with what the cockpit fills in at run time
// filled in too: each signal's stale_after (the global one where it sets
// none) and the notify defaults; a removed signal reads null. With env,
// only that environment.
func (c *Config) effectiveView(env string) (*Config, error) {
	view := *c
	view.Notify = c.Notify.Effective()
	view.Environments = map[string]*Environment{}
	for name, e := range c.Environments {
		if e == nil || (env != "" && name != env) {
			continue
		}
		ev := *e
		ev.Signals = withRemoved(c.effectiveSignals(e.Signals), c.removed, e.removed)
		view.Environments[name] = &ev
	}
	if env != "" && len(view.Environments) == 0 {
		return nil, fmt.Errorf("no environment %q in %s (it has %v): pass one of them to --env", env, c.Path, sortedKeys(c.Environments))
	}
	view.Signals = withRemoved(c.effectiveSignals(c.Signals), c.removed)
	return &view, nil
}

// effectiveSignals copies signals with the global stale_after where a
// signal sets none (checks.StaleAfter's rule).
func (c *Config) effectiveSignals(signals map[string]*Signal) map[string]*Signal {
	out := cloneSignals(signals)
	for _, s := range out {
		if s.StaleAfter <= 0 {
			s.StaleAfter = c.StaleAfter
		}
	}
	return out
}

// redactTree hides the secrets in every string of a decoded YAML tree, keys
// included. Redacting the values one by one, before they are quoted or
// escaped, finds a secret that the rendered text would have escaped.
func redactTree(v any, secrets []string) any {
	switch t := v.(type) {
	case yaml.MapSlice:
		out := make(yaml.MapSlice, len(t))
		for i, item := range t {
			out[i] = yaml.MapItem{Key: redactTree(item.Key, secrets), Value: redactTree(item.Value, secrets)}
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, item := range t {
			out[i] = redactTree(item, secrets)
		}
		return out
	case string:
		return redact.Redact(t, secrets...)
	}
	return v
}
