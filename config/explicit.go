package config

import (
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// explicitKeys is every key path the file wrote (joined by pathSep) with
// its scalar text ("" for a mapping or a list): a decoded zero cannot tell
// "0s" from "left out". For some fields an explicit zero is a choice (fire
// at once, no soak, no volume guard) that defaults must not overwrite; for
// others it is a mistake to refuse (refuseZeros), never a silent default.
// A key written null is left out, as the decoder reads it.
type explicitKeys map[string]string

// pathSep joins a key path; it cannot appear in a YAML key the cockpit reads.
const pathSep = "\x00"

// has says whether the file wrote the key at path (e.g. "signals", "x", "for").
func (k explicitKeys) has(path ...string) bool {
	_, ok := k[strings.Join(path, pathSep)]
	return ok
}

// zero says whether the file wrote a zero at path ("0s", "0ms", "0").
func (k explicitKeys) zero(path ...string) bool {
	text, ok := k[strings.Join(path, pathSep)]
	if !ok || text == "" {
		return false
	}
	text = strings.Trim(text, `"'`)
	if d, err := time.ParseDuration(text); err == nil {
		return d == 0
	}
	f, err := strconv.ParseFloat(text, 64)
	return err == nil && f == 0
}

// explicitKeysOf walks the parsed expanded source's mappings and records
// every key path, through anchors, aliases and merge keys (an environment
// written `staging: *env` or `<<: *env` has the keys of env). A source that
// does not parse (nil) records nothing (decoding has already refused it).
func explicitKeysOf(file *ast.File) explicitKeys {
	keys := explicitKeys{}
	if file == nil || len(file.Docs) == 0 {
		return keys
	}
	keys.walk(file.Docs[0].Body, nil, map[string]ast.Node{})
	return keys
}

// walk records the keys under n at path; anchors are the anchored nodes
// seen so far (YAML defines an anchor before its aliases).
func (k explicitKeys) walk(n ast.Node, path []string, anchors map[string]ast.Node) {
	switch t := n.(type) {
	case *ast.AnchorNode:
		if t.Name != nil && t.Name.GetToken() != nil {
			anchors[t.Name.GetToken().Value] = t.Value
		}
		k.walk(t.Value, path, anchors)
		return
	case *ast.AliasNode:
		if t.Value != nil && t.Value.GetToken() != nil {
			if target, ok := anchors[t.Value.GetToken().Value]; ok {
				k.walk(target, path, anchors)
			}
		}
		return
	}
	for _, mv := range mappingValues(n) {
		if mv.Key == nil || mv.Key.GetToken() == nil {
			continue
		}
		if _, merge := mv.Key.(*ast.MergeKeyNode); merge {
			k.walk(mv.Value, path, anchors)
			continue
		}
		if _, null := mv.Value.(*ast.NullNode); null {
			continue
		}
		p := append(append([]string(nil), path...), mv.Key.GetToken().Value)
		text := ""
		if _, scalar := mv.Value.(ast.ScalarNode); scalar {
			text = mv.Value.GetToken().Value
		}
		k[strings.Join(p, pathSep)] = text
		k.walk(mv.Value, p, anchors)
	}
}

// markExplicit gives each signal the keys the file wrote for it, so that
// mergeSignals keeps an explicit zero over a default.
func (c *Config) markExplicit() {
	mark := func(signals map[string]*Signal, prefix ...string) {
		for name, s := range signals {
			if s == nil {
				continue
			}
			p := append(append([]string(nil), prefix...), name)
			s.explicit = map[string]bool{}
			for _, f := range zeroIsAChoice {
				s.explicit[f] = c.explicit.has(append(p, f)...)
			}
		}
	}
	mark(c.Signals, "signals")
	for name, env := range c.Environments {
		if env != nil {
			mark(env.Signals, "environments", name, "signals")
		}
	}
}

// zeroIsAChoice are the signal fields whose zero means something: for: 0s
// fires (or fails) on the first breach, keep_firing_for: 0s clears with
// the breach, min_requests: 0 judges any volume.
var zeroIsAChoice = []string{"for", "keep_firing_for", "min_requests"}

// keepExplicitZeros lays over's explicitly written zeros on m, which
// mergeSignals filled from the defaults wherever over was zero.
func keepExplicitZeros(m, over *Signal) {
	if over.explicit["for"] {
		m.For = over.For
	}
	if over.explicit["keep_firing_for"] {
		m.KeepFiringFor = over.KeepFiringFor
	}
	if over.explicit["min_requests"] {
		m.MinRequests = over.MinRequests
	}
}

// refuseZeros names every explicit zero that would mean nothing (a refresh
// that never ticks, data stale at once, a timeout that always fires): the
// decoder reads it as "left out", so the default would win unseen. The
// fix is to leave the key out.
func (c *Config) refuseZeros(e *ValidationError) {
	refuse := func(path ...string) {
		if c.explicit.zero(path...) {
			e.add("$."+strings.Join(path, "."), "0 is not allowed here: leave %s out for its default, or give a positive value",
				path[len(path)-1])
		}
	}
	for _, key := range []string{"refresh", "query_timeout", "lock_timeout", "stale_after", "sparkline_window",
		"max_clock_skew", "max_response_bytes"} {
		refuse(key)
	}
	for name := range c.Signals {
		refuse("signals", name, "stale_after")
	}
	for name, env := range c.Environments {
		refuse("environments", name, "verify_timeout")
		refuse("environments", name, "parity", "max_age")
		for _, action := range []string{"harness", "capture"} {
			refuse("environments", name, "parity", action, "timeout")
		}
		for _, action := range []string{"set_rust_write_mode", "set_legacy_freeze", "route_writes", "set_cohort"} {
			refuse("environments", name, "actuators", action, "timeout")
		}
		if env != nil {
			for sig := range env.Signals {
				refuse("environments", name, "signals", sig, "stale_after")
			}
		}
	}
}
