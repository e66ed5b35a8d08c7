package alertrules_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openagents/cockpit/alertrules"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/internal/testsvc"
	"github.com/openagents/cockpit/sandbox"
)

// world is the rehearsal world the tests share, started by the first that
// needs it and closed by TestMain: TestRehearsalRulesPassPromtool reads only
// its generated config, and TestRulesFireWriteErrorSpikeInPrometheus alone
// injects a fault, so one world serves both as they run in parallel.
var world struct {
	once sync.Once
	w    *sandbox.World
	err  error
}

// TestMain closes the shared world after every test ran.
func TestMain(m *testing.M) {
	code := m.Run()
	if world.w != nil {
		if err := world.w.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "closing the world: %v\n", err)
			code = max(code, 1)
		}
	}
	os.Exit(code)
}

// sharedWorld is the world, started on first use.
func sharedWorld(t *testing.T) *sandbox.World {
	t.Helper()
	world.once.Do(func() {
		world.w, world.err = sandbox.Start(context.Background(), sandbox.Options{RedeployDelay: 200 * time.Millisecond})
	})
	if world.err != nil {
		t.Fatalf("starting the world: %v", world.err)
	}
	return world.w
}

// export writes env's rules for the world's generated config into a
// directory of its own and returns it.
func export(t *testing.T, w *sandbox.World, env string) alertrules.Written {
	t.Helper()
	ex := build(t, "world "+env, func() (*config.Config, error) { return config.Load(w.ConfigPath) }, env)
	out, err := alertrules.Write(ex, filepath.Join(t.TempDir(), env))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// promtool finds the binary; in CI a missing one fails.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool not found; in CI the rule tests must run: apt-get install -y prometheus")
		}
		t.Skip("promtool not found: apt-get install -y prometheus")
	}
	return p
}

func runPromtool(t *testing.T, bin string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	return string(out), err
}

// TestRehearsalRulesPassPromtool runs the real `promtool check rules` and
// `promtool test rules` on both environments' export of the rehearsal
// world's generated config, then proves the generated cases can fail: a
// write_error_spike whose `for` is lengthened, or whose 2% threshold is
// moved to 3.5% or to 1.5%, or whose min_requests guard is lowered, fails
// them (the cases fire at 3%, stay quiet at 1.8%, and at 100% on 2 requests).
// The mutated rules are tested with write_error_spike's own cases: they
// pass on the rules as exported, so each failure is the mutation's.
func TestRehearsalRulesPassPromtool(t *testing.T) {
	t.Parallel()
	bin := promtool(t)
	w := sharedWorld(t)
	var prod alertrules.Written
	for _, env := range sandbox.Environments {
		out := export(t, w, env)
		if got, err := runPromtool(t, bin, "check", "rules", out.RulesPath); err != nil {
			t.Fatalf("promtool check rules %s: %v\n%s", out.RulesPath, err, got)
		}
		got, err := runPromtool(t, bin, "test", "rules", out.TestsPath)
		if err != nil {
			t.Fatalf("promtool test rules %s: %v\n%s", out.TestsPath, err, got)
		}
		t.Logf("%s: %d rules, %d cases pass", env, out.Rules, out.Cases)
		if out.Cases < 3*out.Rules {
			t.Errorf("%s: %d cases for %d rules: a rule was left untested", env, out.Cases, out.Rules)
		}
		if env == "production" {
			prod = out
		}
	}

	rules, err := os.ReadFile(prod.RulesPath)
	if err != nil {
		t.Fatal(err)
	}
	spikeTests := casesOf(t, prod.TestsPath, "write_error_spike")
	if got, err := runPromtool(t, bin, "test", "rules", spikeTests); err != nil {
		t.Fatalf("write_error_spike's own cases fail on the rules as exported: %v\n%s", err, got)
	}
	for name, mutate := range map[string]func(string) string{
		"a longer for": func(s string) string {
			at := strings.Index(s, "- alert: write_error_spike\n")
			return s[:at] + strings.Replace(s[at:], "for: 30s\n", "for: 1h\n", 1)
		},
		"a threshold raised to 0.035": func(s string) string { return strings.ReplaceAll(s, ") > 0.02 and on() (", ") > 0.035 and on() (") },
		"a threshold lowered to 0.015": func(s string) string {
			return strings.ReplaceAll(s, ") > 0.02 and on() (", ") > 0.015 and on() (")
		},
		"a volume guard lowered to 1": func(s string) string { return strings.ReplaceAll(s, ") >= 20", ") >= 1") },
	} {
		mutated := mutate(string(rules))
		if mutated == string(rules) {
			t.Fatalf("%s: the mutation changed nothing", name)
		}
		if err := os.WriteFile(prod.RulesPath, []byte(mutated), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := runPromtool(t, bin, "test", "rules", spikeTests)
		if err == nil || !strings.Contains(got, "write_error_spike") {
			t.Errorf("write_error_spike with %s: promtool test rules still passes:\n%s", name, got)
		}
	}
}

// casesOf writes, beside the tests file at path, a tests file with only
// the cases that test alert (on the same rules file), and returns its path.
func casesOf(t *testing.T, path, alert string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const sep = "\n  - name: "
	chunks := strings.Split(string(b), sep)
	kept := []string{chunks[0]}
	for _, c := range chunks[1:] {
		if strings.Contains(c, "\n        alertname: "+alert+"\n") {
			kept = append(kept, c)
		}
	}
	if !strings.HasSuffix(chunks[0], "\ntests:") || len(kept) < 4 {
		t.Fatalf("%s: want the tests list and at least 3 cases of %s, got %d cases:\n%s", path, alert, len(kept)-1, b)
	}
	// Not named after alert: promtool's output names the file, and the
	// mutations' check looks for the alert's name in it.
	out := filepath.Join(filepath.Dir(path), "one_rules_cases.yml")
	if err := os.WriteFile(out, []byte(strings.Join(kept, sep)), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRulesFireWriteErrorSpikeInPrometheus loads production's rules into
// a real Prometheus scraping the world: write_error_spike is not firing
// while the world is healthy, and fires after an error-spike, read from
// Prometheus's own /api/v1/alerts.
func TestRulesFireWriteErrorSpikeInPrometheus(t *testing.T) {
	t.Parallel()
	w := sharedWorld(t)
	out := export(t, w, "production")
	var targets []testsvc.ScrapeTarget
	for job, hostPort := range w.MetricsTargets("production") {
		targets = append(targets, testsvc.ScrapeTarget{Job: job, HostPort: hostPort, Labels: map[string]string{"env": "production"}})
	}
	prom := testsvc.PrometheusWithRules(t, targets, time.Second, out.RulesPath)

	// Healthy first: the legacy write error rate has data and the volume
	// guard is met, and the rule has been evaluated on that data.
	cfg, err := config.Load(w.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	healthy := cfg.Environments["production"].Signals["legacy_write_error_rate"]
	waitFor(t, 2*time.Minute, "the legacy write error rate read below 2% on enough traffic", func() (bool, string) {
		v, err := query(t, prom, fmt.Sprintf("(%s) <= 0.02 and on() (%s) >= 20", healthy.Query, healthy.VolumeQuery))
		return err == nil && v > 0, fmt.Sprintf("%d series (%v)", v, err)
	})
	seen := time.Now()
	waitFor(t, time.Minute, "the rule group evaluated after the data arrived", func() (bool, string) {
		last, err := lastEvaluation(t, prom)
		return err == nil && last.After(seen), fmt.Sprintf("last evaluation %s (%v)", last, err)
	})
	if state := alertState(t, prom, "write_error_spike"); state != "" {
		t.Fatalf("write_error_spike is %s in a healthy world", state)
	}

	if err := w.SetFault("production", sandbox.FaultErrorSpike, true); err != nil {
		t.Fatal(err)
	}
	spiked := time.Now()
	waitFor(t, 3*time.Minute, "write_error_spike firing in Prometheus", func() (bool, string) {
		state := alertState(t, prom, "write_error_spike")
		return state == "firing", "state " + state
	})
	// The rehearsal criterion's for is 30s: firing sooner would mean the
	// rule ignored it.
	if took := time.Since(spiked); took < 30*time.Second {
		t.Errorf("write_error_spike fired %s after the spike, before its for of 30s", took)
	}
	t.Logf("write_error_spike fired %s after the error-spike", time.Since(spiked).Round(time.Second))
}

// waitFor polls cond every 250ms until it holds or within passes.
func waitFor(t *testing.T, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s; last: %s", what, within, last)
		}
		select {
		case <-t.Context().Done():
			t.Fatalf("%s: %v", what, t.Context().Err())
		case <-tick.C:
		}
	}
}

// getJSON decodes one API answer's data.
func getJSON(t *testing.T, u string, data any) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var env struct {
		Status string          `json:"status"`
		Data   json.RawMessage `json:"data"`
		Error  string          `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		return fmt.Errorf("%s: %w", u, err)
	}
	if env.Status != "success" {
		return fmt.Errorf("%s: %s", u, env.Error)
	}
	return json.Unmarshal(env.Data, data)
}

// query is how many series an instant query returns now.
func query(t *testing.T, prom, q string) (int, error) {
	var data struct {
		Result []json.RawMessage `json:"result"`
	}
	err := getJSON(t, prom+"/api/v1/query?query="+url.QueryEscape(q), &data)
	return len(data.Result), err
}

// alertState is the alert's state in /api/v1/alerts ("" when absent).
func alertState(t *testing.T, prom, alert string) string {
	var data struct {
		Alerts []struct {
			Labels map[string]string `json:"labels"`
			State  string            `json:"state"`
		} `json:"alerts"`
	}
	if err := getJSON(t, prom+"/api/v1/alerts", &data); err != nil {
		t.Fatalf("reading alerts: %v", err)
	}
	for _, a := range data.Alerts {
		if a.Labels["alertname"] == alert {
			return a.State
		}
	}
	return ""
}

// lastEvaluation is when Prometheus last evaluated the rule group.
func lastEvaluation(t *testing.T, prom string) (time.Time, error) {
	var data struct {
		Groups []struct {
			LastEvaluation time.Time `json:"lastEvaluation"`
		} `json:"groups"`
	}
	if err := getJSON(t, prom+"/api/v1/rules", &data); err != nil {
		return time.Time{}, err
	}
	if len(data.Groups) != 1 {
		return time.Time{}, fmt.Errorf("%d rule groups loaded, want 1", len(data.Groups))
	}
	return data.Groups[0].LastEvaluation, nil
}
