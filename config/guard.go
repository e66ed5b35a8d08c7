package config

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Guard is an environment's automatic rollback (`cockpit guard`): what a
// firing incident criterion does with nobody at the keyboard. advise only
// tells the team; countdown tells them, counts down in front of them (any
// of them may cancel) and then rolls back; act is a countdown of zero. The
// guard never counts down or acts on data it cannot trust (executor/guard).
type Guard struct {
	Mode GuardMode `yaml:"mode"`
	// Countdown is how long the team has to cancel before the rollback
	// starts, in countdown mode (default 2m).
	Countdown Duration `yaml:"countdown"`
	// Criteria are the incident criteria the guard acts on, by name
	// (write_error_spike) or runbook criterion (I2); default: every
	// configured one.
	Criteria []string `yaml:"criteria"`
	// ConfirmEnv is, for a production environment whose guard rolls back
	// (countdown or act), the environment's name, written where a human
	// types it at the prompt: the reviewed config is the guard's typed
	// confirmation, and without it a production guard only advises.
	ConfirmEnv string `yaml:"confirm_env"`
	// Configured says the file wrote the environment's guard: block, so
	// operate runs the guard itself (without one, only `cockpit guard`
	// runs it, in the defaults above).
	Configured bool `yaml:"-" json:"-"`
}

// GuardMode is a guard's mode: advise, countdown or act.
type GuardMode string

// The guard modes.
const (
	GuardAdvise    GuardMode = "advise"
	GuardCountdown GuardMode = "countdown"
	GuardAct       GuardMode = "act"
)

// defaultCountdown gives the team two minutes to read the evidence and
// press c before the rollback starts.
const defaultCountdown = 2 * time.Minute

// applyGuardDefaults fills an environment's guard: advise (nothing acts
// unless the file says so), a 2m countdown, every configured criterion.
func (c *Config) applyGuardDefaults(name string, env *Environment) {
	g := &env.Guard
	g.Configured = c.explicit.has("environments", name, "guard")
	if g.Mode == "" {
		g.Mode = GuardAdvise
	}
	if g.Countdown == 0 && !c.explicit.has("environments", name, "guard", "countdown") {
		g.Countdown = Duration(defaultCountdown)
	}
	if len(g.Criteria) == 0 {
		for _, inc := range sortedKeys(c.Incidents) {
			if c.Incidents[inc] != nil {
				g.Criteria = append(g.Criteria, inc)
			}
		}
	}
}

// validateGuard checks an environment's guard: a known mode, a countdown
// that means something in its mode, and criteria that name configured
// incidents (a typo must not leave an incident unguarded unseen).
func (c *Config) validateGuard(e *ValidationError, p string, env *Environment) {
	g := env.Guard
	p += ".guard"
	switch g.Mode {
	case GuardAdvise, GuardCountdown, GuardAct:
	default:
		e.add(p+".mode", "%q is not a guard mode: use advise (notify only), countdown (notify, count down, then roll back) or act (roll back at once)", g.Mode)
	}
	acts := g.Mode == GuardCountdown || g.Mode == GuardAct
	switch {
	case env.Production && acts && g.ConfirmEnv != env.Name:
		e.add(p, "%s is production: a guard that rolls back must name it as a human types it (confirm_env: %s), or say mode: advise",
			env.Name, env.Name)
	case g.ConfirmEnv != "" && g.ConfirmEnv != env.Name:
		e.add(p+".confirm_env", "%q is not this environment's name (%s)", g.ConfirmEnv, env.Name)
	}
	if g.Mode == GuardCountdown && g.Countdown == 0 {
		e.add(p+".countdown", "a countdown of 0 gives nobody time to cancel: give one (e.g. 2m), or say mode: act")
	}
	var runbooks []string
	for _, name := range sortedKeys(c.Incidents) {
		if inc := c.Incidents[name]; inc != nil && !slices.Contains(runbooks, inc.Runbook) {
			runbooks = append(runbooks, inc.Runbook)
		}
	}
	slices.Sort(runbooks)
	for i, crit := range g.Criteria {
		if _, ok := c.Incidents[crit]; ok || slices.Contains(runbooks, crit) {
			continue
		}
		e.add(fmt.Sprintf("%s.criteria[%d]", p, i), "%q is not a configured incident criterion: name one (%s) or a runbook criterion (%s)",
			crit, strings.Join(sortedKeys(c.Incidents), ", "), strings.Join(runbooks, ", "))
	}
}
