package config

import (
	"maps"
	"slices"
	"strings"

	"github.com/openagents/cockpit/internal/signing"
)

// nonProduction names the environments that are not production, sorted.
func (c *Config) nonProduction() []string {
	var names []string
	for _, name := range slices.Sorted(maps.Keys(c.Environments)) {
		if env := c.Environments[name]; env != nil && !env.Production {
			names = append(names, name)
		}
	}
	return names
}

// defaultRequires gives a production environment that names none the only
// non-production environment as its prerequisite; with several, the
// operator must choose (validateTeam says so), with none there is nothing
// to promote from and S4's gate says that.
func (c *Config) defaultRequires() {
	others := c.nonProduction()
	for _, env := range c.Environments {
		if env != nil && env.Production && env.Requires == "" && len(others) == 1 {
			env.Requires = others[0]
		}
	}
}

// validateTeam checks team_keys and each environment's requires.
func (c *Config) validateTeam(e *ValidationError) {
	if _, err := signing.NewKeyring(c.TeamKeys); err != nil {
		e.add("$.team_keys", "%s", err.Error())
	}
	others := c.nonProduction()
	for _, name := range slices.Sorted(maps.Keys(c.Environments)) {
		env := c.Environments[name]
		if env == nil {
			continue
		}
		p := "$.environments." + name + ".requires"
		switch {
		case !env.Production && env.Requires != "":
			e.add(p, "only a production environment requires another (its S4 waits for that one's runbook): remove it")
		case env.Production && env.Requires == "" && len(others) > 1:
			e.add("$.environments."+name, "%d non-production environments (%s): say which one production is promoted from, e.g. requires: %s",
				len(others), strings.Join(others, ", "), others[0])
		case env.Production && env.Requires != "" && !slices.Contains(others, env.Requires):
			e.add(p, "%q is not a configured non-production environment (have: %s)", env.Requires, strings.Join(others, ", "))
		}
	}
}
