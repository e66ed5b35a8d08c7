// Command benchpty measures the cockpit's screen against docs/design.md §9's
// budgets the way an operator meets it: the real binary on a real pty
// (github.com/creack/pty), in front of a running rehearsal world whose
// Prometheus sits behind a counting proxy. scripts/bench.sh starts the
// world and runs it; run alone:
//
//	go run ./scripts/benchpty -bin bin/cockpit -config WORLD/cockpit.yaml \
//	    -env staging -prometheus URL [-duration 60s] [-answer]
//
// It prints one table: terminal bytes/s after the first paint, peak RSS
// (VmHWM), CPU % of a core (utime+stime over the window), Prometheus
// requests/s at the proxy, each for watch at 160×48 and 80×24; and first
// paint (exec → the first value on screen) for watch and operate, on a
// bare pty that answers nothing and on one that answers the colour,
// cursor and device queries like a terminal. Exit 1 when a figure misses
// its budget. It is a separate main, not a test: `go test ./...` never
// runs it, `go vet ./...` checks it.
package main

import (
	"cmp"
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	"time"
)

// defaultMarker is a value on screen: a number right before a percent
// sign or "/s", as the panes print a rate or a share ("legacy 0%",
// "12.5%", "0.04/s", a chart's axis "57%"). Before the first observation
// the panes say "no data", "STALE never" or "—"; the clock, ages and
// step names have no '%'.
const defaultMarker = `[0-9](%|/s)`

// defaultIgnore is what looks like a value but is drawn from the config
// before any observation: a chart's critical threshold ("crit 2%").
const defaultIgnore = `crit +[0-9.]+(%|/s)`

type flags struct {
	bin, config, env, prometheus, marker string
	ignore                               string
	logFile, dump                        string
	duration, paintTimeout               time.Duration
	paintRuns                            int
	answer, verbose                      bool
}

func main() {
	var f flags
	flag.StringVar(&f.bin, "bin", "bin/cockpit", "the cockpit binary")
	flag.StringVar(&f.config, "config", "", "the world's config (rehearse --headless prints it)")
	flag.StringVar(&f.env, "env", "staging", "environment to watch")
	flag.StringVar(&f.prometheus, "prometheus", "", "the environment's Prometheus URL (rehearse --headless prints it)")
	flag.StringVar(&f.marker, "marker", defaultMarker, "regexp on the screen's text that says a value is on it")
	flag.StringVar(&f.ignore, "ignore", defaultIgnore, "regexp on the screen's text that is not a value although -marker matches it")
	flag.DurationVar(&f.duration, "duration", 60*time.Second, "how long each watch size is measured after its first paint; 0 measures only first paints")
	flag.DurationVar(&f.paintTimeout, "paint-timeout", 20*time.Second, "give up on a first paint after this")
	flag.IntVar(&f.paintRuns, "paint-runs", 5, "first paints measured per case (the median is printed); 0 measures only watch's two windows")
	flag.BoolVar(&f.answer, "answer", true, "also measure first paint on a pty that answers the colour query (OSC 11)")
	flag.BoolVar(&f.verbose, "v", false, "print the screen's text at each first paint (to check the marker)")
	flag.StringVar(&f.logFile, "log-file", "", "pass --log-file to every screen (its own account of the first paint)")
	flag.StringVar(&f.dump, "dump", "", "append every byte the screens write to this file, each read marked (to study a frame)")
	flag.Parse()
	if err := bench(f); err != nil {
		fmt.Fprintln(os.Stderr, "benchpty:", err)
		os.Exit(2)
	}
}

func bench(f flags) error {
	marker, err := regexp.Compile(f.marker)
	if err != nil {
		return fmt.Errorf("-marker: %w", err)
	}
	ignore, err := regexp.Compile(f.ignore)
	if err != nil {
		return fmt.Errorf("-ignore: %w", err)
	}
	if f.config == "" || f.prometheus == "" {
		return fmt.Errorf("-config and -prometheus are required: start the world with `cockpit rehearse --headless` and pass what it prints")
	}
	proxy, err := startProxy(f.prometheus)
	if err != nil {
		return err
	}
	defer proxy.close()
	cfg, err := proxiedConfig(f.config, f.prometheus, proxy.url)
	if err != nil {
		return err
	}
	base := runSpec{bin: f.bin, config: cfg, env: f.env, verb: "watch", paintTimeout: f.paintTimeout, marker: marker, ignore: ignore, proxy: proxy, verbose: f.verbose,
		logFile: f.logFile}
	if f.dump != "" {
		d, err := os.OpenFile(f.dump, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return fmt.Errorf("-dump: %w", err)
		}
		defer d.Close()
		base.dump = d
	}
	t := &table{}
	for _, size := range [][2]int{{160, 48}, {80, 24}}[:windows(f.duration)] {
		s := base
		s.cols, s.rows, s.window = size[0], size[1], f.duration
		fmt.Fprintf(os.Stderr, "benchpty: watch at %dx%d for %s\n", s.cols, s.rows, s.window)
		res, err := measure(s)
		if err != nil {
			return err
		}
		t.steady(s, res)
	}
	if err := paints(base, f, t); err != nil {
		return err
	}
	t.print(os.Stdout)
	if t.missed {
		os.Exit(1)
	}
	return nil
}

// windows is how many watch sizes are measured: none for a 0 duration.
func windows(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return 2
}

// paints adds first paint for watch and operate at 160×48, on a bare pty
// and, with -answer, on one that answers; none with -paint-runs 0.
func paints(base runSpec, f flags, t *table) error {
	answers := []bool{false}
	if f.answer {
		answers = append(answers, true)
	}
	for _, verb := range []string{"watch", "operate"} {
		for _, answer := range answers {
			if f.paintRuns < 1 {
				return nil
			}
			s := base
			s.verb, s.cols, s.rows, s.answer = verb, 160, 48, answer
			fmt.Fprintf(os.Stderr, "benchpty: %s first paint, %d runs, answering queries: %v\n", verb, f.paintRuns, answer)
			paint, err := medianPaint(s, f.paintRuns)
			if err != nil {
				return err
			}
			t.paint(s, paint)
		}
	}
	return nil
}

// medianPaint is the median first paint of n runs.
func medianPaint(s runSpec, n int) (time.Duration, error) {
	var all []time.Duration
	for range n {
		res, err := measure(s)
		if err != nil {
			return 0, err
		}
		all = append(all, res.firstPaint)
	}
	slices.SortFunc(all, cmp.Compare)
	return all[len(all)/2], nil
}
