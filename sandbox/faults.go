package sandbox

import (
	"fmt"
	"sort"
	"strings"
)

// Fault names an instructor can inject (keys in rehearse, `ctl fault`, `--scenario`).
const (
	FaultErrorSpike           = "error-spike"
	FaultCriticalParity       = "critical-parity"
	FaultDrift                = "drift"
	FaultCheckpointRegression = "checkpoint-regression"
	FaultReadinessDown        = "readiness-down"
	FaultPrometheusOutage     = "prometheus-outage"
	FaultPrometheusSlow       = "prometheus-slow"
	FaultScrapesStopped       = "scrapes-stopped"
	FaultLegacyNotFrozen      = "legacy-not-frozen"
	FaultActuatorFailure      = "actuator-failure"
)

// faultHelp says what each fault does, for `--help` and the instructor menu.
var faultHelp = map[string]string{
	FaultErrorSpike:           "30% of writes to either runtime answer 500 (failed projection writes)",
	FaultCriticalParity:       "the shadow harness's legacy capture lags one event: critical diffs, gate block",
	FaultDrift:                "the Rust projector records a sequence gap on every new event; every legacy projected write counts a drift",
	FaultCheckpointRegression: "the Rust projector checkpoint position goes backwards",
	FaultReadinessDown:        "the Rust runtime's /readyz answers 503 not_ready",
	FaultPrometheusOutage:     "the environment's Prometheus closes every connection unanswered, like a crashed server (scraping goes on)",
	FaultPrometheusSlow:       "the environment's Prometheus answers every query 3s late",
	FaultScrapesStopped:       "the environment's Prometheus stops ingesting scrapes; queries still answer, from the old samples",
	FaultLegacyNotFrozen:      "the legacy freeze is reported set but legacy writes still go through",
	FaultActuatorFailure:      "every control (set-env, route-writes, cohort) fails after its delay",
}

// FaultNames lists every fault, sorted.
func FaultNames() []string {
	names := make([]string, 0, len(faultHelp))
	for n := range faultHelp {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// FaultHelp describes one fault.
func FaultHelp(name string) string { return faultHelp[name] }

// CheckFault refuses a name that is not a fault, listing the ones that are.
func CheckFault(name string) error {
	if _, ok := faultHelp[name]; !ok {
		return fmt.Errorf("unknown fault %q (known: %s)", name, strings.Join(FaultNames(), ", "))
	}
	return nil
}
