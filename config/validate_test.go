package config

import (
	"errors"
	"strings"
	"testing"
)

// problems parses src and returns its validation problems, one a line.
func problems(t *testing.T, src string) string {
	t.Helper()
	_, err := Parse("c.yaml", []byte(src), noEnv)
	if err == nil {
		return ""
	}
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("want a ValidationError, got %v", err)
	}
	return err.Error()
}

func wantProblems(t *testing.T, msg string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error lacks %q:\n%s", w, msg)
		}
	}
}

const runtimes = `environments:
  staging:
    prometheus: {url: "http://127.0.0.1:9090"}
    rust_runtime: {url: "http://127.0.0.1:4100"}
    legacy_runtime: {url: "http://127.0.0.1:4000"}
`

func TestIncidentJudgesExactlyOneThingAndNamesItsLine(t *testing.T) {
	msg := problems(t, runtimes+`incidents:
  nothing: {runbook: I2, above: 1}
  both:
    runbook: I2
    signal: drift_events
    source: parity_reports
    above: 1
  half_authority:
    runbook: I2
    authority: {rust: rust_write_error_rate, legacy: legacy_errors}
    above: 0.02
  no_legacy:
    runbook: I2
    authority: {rust: rust_write_error_rate}
    above: 0.02
  unknown_source: {runbook: I1, source: parity_metric, above: 0}
  no_threshold: {runbook: I3, source: rust_checkpoints}
`)
	wantProblems(t, msg,
		"c.yaml:7: incidents.nothing: needs exactly one of signal, authority or source (it has 0)",
		"c.yaml:8: incidents.both: needs exactly one of signal, authority or source (it has 2)",
		`c.yaml:15: incidents.half_authority.authority.legacy: signal "legacy_errors" is not defined (known: [`,
		"c.yaml:19: incidents.no_legacy.authority: needs legacy",
		`c.yaml:21: incidents.unknown_source.source: "parity_metric" is not a source: use parity_reports or rust_checkpoints`,
		"c.yaml:22: incidents.no_threshold: needs exactly one of above or below",
	)
	if strings.Contains(msg, "authority.rust") {
		t.Errorf("a defined rust signal was refused:\n%s", msg)
	}
}

func TestDefaultIncidentsValidate(t *testing.T) {
	if msg := problems(t, minimal); msg != "" {
		t.Fatalf("the defaults do not validate:\n%s", msg)
	}
}

func TestIncidentSignalMustExistInEveryEnvironment(t *testing.T) {
	msg := problems(t, runtimes+`    signals:
      staging_only: {query: "sum(up)"}
  production:
    production: true
    prometheus: {url: "http://127.0.0.1:9091"}
    rust_runtime: {url: "http://127.0.0.1:4101"}
    legacy_runtime: {url: "http://127.0.0.1:4001"}
incidents:
  local: {runbook: I2, signal: staging_only, above: 0}
`)
	wantProblems(t, msg, `c.yaml:14: incidents.local.signal: signal "staging_only" is not defined in production`)
}

func TestGcloudWithoutProjectIsRefusedWherePassedAsArgv(t *testing.T) {
	msg := problems(t, runtimes+`    parity:
      capture: {argv: [/usr/lib/google-cloud-sdk/bin/gcloud, storage, cp, "gs://captures/{{.Env}}", "{{.CaptureDir}}"]}
      harness: {argv: [runtime-shadow-harness, --output, "{{.Report}}"]}
    actuators:
      set_rust_write_mode:
        argv:
          - gcloud
          - run
          - services
          - update
          - --update-env-vars
          - "RUNTIME_AUTHORITY_WRITE_MODE={{.Mode}}"
      set_legacy_freeze: {argv: [gcloud, --project, oa-staging, run, services, update, legacy, "--update-env-vars=LEGACY_RUNTIME_WRITE_FREEZE={{.Freeze}}"]}
      route_writes: {argv: [gcloud, "--project=oa-staging", run, services, update-traffic, w, "--to-tags={{.Target}}=100"]}
      set_cohort: {argv: [gcloud, run, services, update-traffic, w, "--to-tags=rust={{.Percent}}", --project]}
`)
	wantProblems(t, msg,
		"c.yaml:7: environments.staging.parity.capture.argv: gcloud without --project: it would act on gcloud's default project",
		"c.yaml:11: environments.staging.actuators.set_rust_write_mode.argv: gcloud without --project",
		"c.yaml:20: environments.staging.actuators.set_cohort.argv: gcloud without --project",
	)
	if n := strings.Count(msg, "without --project"); n != 3 {
		t.Errorf("%d gcloud problems, want 3 (--project X and --project=X both name the project):\n%s", n, msg)
	}
}

func TestArgvTemplateProblemsNameTheElementsLine(t *testing.T) {
	msg := problems(t, runtimes+`    parity:
      capture:
        argv: [capture-runs,
               --out, "{{.CaptureDir}}",
               --report, "{{.Reprot}}"]
    actuators:
      set_rust_write_mode:
        argv:
          - kubectl
          - set
          - env
          - "RUNTIME_AUTHORITY_WRITE_MODE={{.Freeze}}"
`)
	wantProblems(t, msg,
		`c.yaml:10: environments.staging.parity.capture.argv[4]: "{{.Reprot}}"`,
		"{{.Env}} {{.OutputDir}} {{.Report}} {{.CaptureDir}}",
		`c.yaml:17: environments.staging.actuators.set_rust_write_mode.argv[3]: "RUNTIME_AUTHORITY_WRITE_MODE={{.Freeze}}"`,
		"(template fields allowed here: {{.Env}} {{.Mode}})",
	)
}

const twoEnvironments = `environments:
  staging:
    prometheus: {url: "http://127.0.0.1:9090"}
    rust_runtime: {url: "http://127.0.0.1:4100"}
    legacy_runtime: {url: "http://127.0.0.1:4000"}
    actuators:
      route_writes: {argv: [gcloud, --project=oa-staging, run, services, update-traffic, writes, "--to-tags={{.Target}}=100"]}
      set_legacy_freeze: {argv: [kubectl, -n, "openagents-{{.Env}}", set, env, statefulset/runtime, "LEGACY_RUNTIME_WRITE_FREEZE={{.Freeze}}"]}
      set_cohort: {http: {method: POST, url: "http://router.internal/cohort", body: '{"rust": {{.Percent}}}'}}
  production:
    production: true
    prometheus: {url: "http://127.0.0.1:9091"}
    rust_runtime: {url: "http://127.0.0.1:4101"}
    legacy_runtime: {url: "http://127.0.0.1:4001"}
    actuators:
      route_writes: {argv: [gcloud, --project=oa-staging, run, services, update-traffic, writes, "--to-tags={{.Target}}=100"]}
      set_legacy_freeze: {argv: [kubectl, -n, "openagents-{{.Env}}", set, env, statefulset/runtime, "LEGACY_RUNTIME_WRITE_FREEZE={{.Freeze}}"]}
      set_cohort: {http: {method: post, url: "http://router.internal/cohort", body: '{"rust": {{.Percent}}}'}}
`

func TestProductionActuatorIdenticalToStagingsIsRefused(t *testing.T) {
	msg := problems(t, twoEnvironments)
	wantProblems(t, msg,
		"c.yaml:16: environments.production.actuators.route_writes: actuators.route_writes is identical to staging's: a production step would act on staging (or the reverse)",
		"c.yaml:18: environments.production.actuators.set_cohort: actuators.set_cohort is identical to staging's",
	)
	// The same template rendering each environment's own name acts on two
	// different systems.
	if strings.Contains(msg, "set_legacy_freeze") {
		t.Errorf("templates that render {{.Env}} differently were called identical:\n%s", msg)
	}
	fixed := strings.Replace(twoEnvironments, "[gcloud, --project=oa-staging, run, services, update-traffic, writes, \"--to-tags={{.Target}}=100\"]}\n      set_legacy_freeze: {argv: [kubectl, -n, \"openagents-{{.Env}}\", set, env, statefulset/runtime, \"LEGACY_RUNTIME_WRITE_FREEZE={{.Freeze}}\"]}\n      set_cohort: {http: {method: post",
		"[gcloud, --project=openagentsgemini, run, services, update-traffic, writes, \"--to-tags={{.Target}}=100\"]}\n      set_legacy_freeze: {argv: [kubectl, -n, \"openagents-{{.Env}}\", set, env, statefulset/runtime, \"LEGACY_RUNTIME_WRITE_FREEZE={{.Freeze}}\"]}\n      set_cohort: {http: {method: post, headers: {X-Env: production}", 1)
	if fixed == twoEnvironments {
		t.Fatal("fixture edit did not apply")
	}
	if msg := problems(t, fixed); msg != "" {
		t.Fatalf("distinct actuators refused:\n%s", msg)
	}
}

func TestProbePathsAndHeadersAreChecked(t *testing.T) {
	msg := problems(t, `environments:
  staging:
    prometheus: {url: "http://127.0.0.1:9090"}
    rust_runtime:
      url: "http://127.0.0.1:4100"
      health_path: healthz
      id_token_file: /run/cockpit/rust-id-token
      headers:
        Authorization: Bearer static
        "X Gateway": key
    legacy_runtime: {url: "http://127.0.0.1:4000", health_path: /internal/v1/health}
`)
	wantProblems(t, msg,
		`c.yaml:6: environments.staging.rust_runtime.health_path: "healthz" must start with /`,
		"c.yaml:9: environments.staging.rust_runtime.headers.Authorization: conflicts with id_token_file",
		`environments.staging.rust_runtime.headers: "X Gateway" is not a valid HTTP header name`,
	)
}
