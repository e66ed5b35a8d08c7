package legacysim

import "strings"

// mutation is one POST route of the legacy router. required names the
// params its controller validates, so a well-formed body without them is
// refused with 422 and writes nothing (what the safe freeze probe needs).
type mutation struct {
	pattern  string
	required []string
	status   int
}

var mutations = []mutation{
	{"/internal/v1/comms/delivery-events", []string{"event_id", "provider"}, 202},
	{"/internal/v1/tools/execute", []string{"tool_pack", "request"}, 200},
	{"/internal/v1/skills/tool-specs", []string{"tool_spec"}, 201},
	{"/internal/v1/skills/skill-specs", []string{"skill_spec"}, 201},
	{"/internal/v1/skills/skill-specs/:skill_id/:version/publish", []string{"published_by"}, 201},
	{"/internal/v1/codex/workers", []string{"worker_id"}, 202},
	{"/internal/v1/codex/workers/:worker_id/requests", []string{"request"}, 202},
	{"/internal/v1/codex/workers/:worker_id/events", []string{"event"}, 202},
	{"/internal/v1/codex/workers/:worker_id/stop", []string{"reason"}, 202},
	{"/internal/v1/sync/sessions/revoke", []string{"session_ids"}, 200},
	{"/internal/v1/runs/:run_id/frames", []string{"frames"}, 200},
	{"/internal/v1/runs/:run_id/cancel", []string{"reason"}, 202},
}

// The read routes.
const (
	routeHealth   = "/internal/v1/health"
	routeSnapshot = "/internal/v1/runs/:run_id/snapshot"
)

// matchPath matches a ":name" pattern against path and returns the captures.
func matchPath(pattern, path string) (map[string]string, bool) {
	ps, ss := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(ss) {
		return nil, false
	}
	caps := map[string]string{}
	for i, p := range ps {
		if name, ok := strings.CutPrefix(p, ":"); ok {
			if ss[i] == "" {
				return nil, false
			}
			caps[name] = ss[i]
		} else if p != ss[i] {
			return nil, false
		}
	}
	return caps, true
}

// routeFor finds the route for method and path as Phoenix's router does:
// only GET reads and POST mutations exist, so anything else is a 404.
func routeFor(method, path string) (pattern string, m *mutation, caps map[string]string, ok bool) {
	switch method {
	case "GET", "HEAD":
		for _, p := range []string{routeHealth, routeSnapshot} {
			if caps, ok := matchPath(p, path); ok {
				return p, nil, caps, true
			}
		}
	case "POST":
		for i := range mutations {
			if caps, ok := matchPath(mutations[i].pattern, path); ok {
				return mutations[i].pattern, &mutations[i], caps, true
			}
		}
	}
	return "", nil, nil, false
}
