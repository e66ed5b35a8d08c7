package harness

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
)

// Exit codes of the real runtime-shadow-harness: 1 for a blocked gate and
// for I/O or parse errors alike (read the report to tell them apart), 2 for
// usage errors, as clap exits.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// cliArgs are the real harness's flags.
type cliArgs struct {
	legacyManifest, rustManifest, output string
	policy                               Policy
}

// Main runs the harness CLI:
//
//	--legacy-manifest P --rust-manifest P --output P
//	[--max-warnings N (default 0)] [--block-on-critical true|false (default true)]
//
// It writes the report first, then prints a one-line summary; on block it
// exits 1 with "Error: shadow gate blocked cutover: <reason>" on stderr. I/O
// and parse errors exit 1 without writing a report; usage errors exit 2.
func Main(args []string, stdout, stderr io.Writer, now func() time.Time) int {
	a, err := parseArgs(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n\nFor more information, try '--help'.\n", err)
		return exitUsage
	}
	report, err := Compare(a.legacyManifest, a.rustManifest, a.policy, now())
	if err != nil {
		fmt.Fprintf(stderr, "Error: %v\n", err)
		return exitError
	}
	if err := WriteReportFile(a.output, report); err != nil {
		fmt.Fprintf(stderr, "Error: %v\n", err)
		return exitError
	}
	fmt.Fprintf(stdout, "shadow parity report generated: gate_decision=%s critical_diffs=%d warning_diffs=%d output=%s\n",
		report.Gate.Decision, report.Totals.Critical, report.Totals.Warning, a.output)
	if report.Gate.Decision == DecisionBlock {
		fmt.Fprintf(stderr, "Error: shadow gate blocked cutover: %s\n", report.Gate.Reason)
		return exitError
	}
	return exitOK
}

// parseArgs parses the flags. --block-on-critical is a string flag because
// the real CLI takes its value as a separate argument ("--block-on-critical
// false"), which a Go bool flag would read as a stray positional argument.
func parseArgs(args []string, stdout io.Writer) (cliArgs, error) {
	fs := flag.NewFlagSet("runtime-shadow-harness", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var a cliArgs
	fs.StringVar(&a.legacyManifest, "legacy-manifest", "", "legacy capture manifest (required)")
	fs.StringVar(&a.rustManifest, "rust-manifest", "", "rust capture manifest (required)")
	fs.StringVar(&a.output, "output", "", "where to write the parity report (required)")
	maxWarnings := fs.Uint64("max-warnings", 0, "warning diffs tolerated before the gate blocks")
	blockOnCritical := fs.String("block-on-critical", "true", "block on any critical diff: true|false")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, "Runtime shadow parity diff and cutover gate harness\n\nOptions:")
			fs.SetOutput(stdout)
			fs.PrintDefaults()
		}
		return a, err
	}
	if fs.NArg() > 0 {
		return a, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	for _, req := range []struct{ name, value string }{
		{"--legacy-manifest", a.legacyManifest},
		{"--rust-manifest", a.rustManifest},
		{"--output", a.output},
	} {
		if req.value == "" {
			return a, fmt.Errorf("the following required argument was not provided: %s <PATH>", req.name)
		}
	}
	block, err := parseStrictBool(*blockOnCritical)
	if err != nil {
		return a, fmt.Errorf("invalid value %q for '--block-on-critical <BLOCK_ON_CRITICAL>': %w", *blockOnCritical, err)
	}
	if *maxWarnings > math.MaxInt {
		return a, fmt.Errorf("invalid value %d for '--max-warnings <MAX_WARNINGS>': too large", *maxWarnings)
	}
	a.policy = Policy{MaxWarnings: int(*maxWarnings), BlockOnCritical: block}
	return a, nil
}

// parseStrictBool accepts exactly "true" or "false", as clap's bool parser
// does; strconv.ParseBool would also take "1", "T" and friends.
func parseStrictBool(s string) (bool, error) {
	switch s {
	case "true", "false":
		return strconv.ParseBool(s)
	default:
		return false, errors.New("possible values: true, false")
	}
}
