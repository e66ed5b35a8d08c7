package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/executor/guard"
	"github.com/openagents/cockpit/factory"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/tui"
)

// guardCancelFlags are `guard cancel`'s flags.
type guardCancelFlags struct {
	config, env, reason string
}

func newGuardCancelCmd(s *Streams) *cobra.Command {
	var f guardCancelFlags
	c := &cobra.Command{
		Use:   "cancel --env E --reason R",
		Short: "Cancel the running guard's countdown (journaled with who and why)",
		Long: "cancel journals a cancel request with the operator and the reason; every guard of the environment reads it\n" +
			"from the journal at its next round and stops the countdown of each incident live then (it will not act on\n" +
			"them until they clear), and answers. Exit codes: 0 a guard cancelled, 5 no guard answered or nothing was live.",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runGuardCancel(s, &f) },
	}
	c.Flags().StringVar(&f.config, "config", config.DefaultPath(), "config file")
	c.Flags().StringVar(&f.env, "env", "", "environment (may be left out when the config has one)")
	c.Flags().StringVar(&f.reason, "reason", "", "why the countdown must not end in a rollback (journaled, told to the team)")
	return c
}

func runGuardCancel(s *Streams, f *guardCancelFlags) error {
	if strings.TrimSpace(f.reason) == "" {
		return usageError("guard cancel needs --reason: say why the rollback must not run (it is journaled and told to the team)")
	}
	// A cancel is a forward write of the journal: it refuses to go on
	// when the journal cannot take it.
	fac := factory.New(s, f.config, f.env, factory.Act)
	defer fac.Close()
	if _, err := fac.Environment(); err != nil {
		return withCode(exitUsage, err)
	}
	cfg, _ := fac.Config()
	j, err := fac.Journal()
	if err != nil {
		return withCode(exitActionFailed, fmt.Errorf("the cancel is not journaled: %w", err))
	}
	answers := journal.NewTail(j.Path())
	if _, err := answers.Each(func(journal.Record) error { return nil }); err != nil {
		return withCode(exitActionFailed, fmt.Errorf("reading the journal: %w", err))
	}
	if err := journalGuardCancel(j, f.reason); err != nil {
		return withCode(exitActionFailed, err)
	}
	fmt.Fprintf(s.Out, "cancel journaled by %s: %s\n", cfg.Operator, f.reason)
	return awaitCancelAnswer(s, answers, cancelWait(cfg))
}

// journalGuardCancel journals a cancel request: the journal's defaults
// say who; reason says why.
func journalGuardCancel(j *journal.Journal, reason string) error {
	if err := j.Append(journal.Record{Kind: journal.KindGuard, Verdict: guardCancel, PID: os.Getpid(), Reason: reason}); err != nil {
		return fmt.Errorf("the cancel is not journaled: %w", err)
	}
	return nil
}

// guardCanceller is the acting screen's key c: a cancel request in its
// journal, which every guard of the environment reads; nil for a screen
// that cannot act.
func guardCanceller(fac *factory.Factory, mode tui.Mode) func(string) error {
	if mode == tui.Watch {
		return nil
	}
	j, err := fac.Journal()
	if err != nil || j == nil {
		return nil
	}
	return func(reason string) error { return journalGuardCancel(j, reason) }
}

// cancelWait bounds the wait for a guard's answer: its round may be in an
// observation (observeTimeout) when the request lands, and it reads the
// journal at the round after.
func cancelWait(cfg *config.Config) time.Duration {
	return 3*cfg.Refresh.D() + factory.ObserveTimeout(cfg) + 10*time.Second
}

// awaitCancelAnswer waits for the first guard's answer: its countdown
// cancelled, or nothing live to cancel.
func awaitCancelAnswer(s *Streams, answers *journal.Tail, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		recs, _, err := answers.Next()
		if err != nil && !errors.As(err, new(*journal.CorruptError)) {
			return withCode(exitActionFailed, fmt.Errorf("reading the guard's answer: %w", err))
		}
		for _, r := range recs {
			if r.Kind != journal.KindGuard {
				continue
			}
			switch r.Verdict {
			case guard.Cancelled.String():
				fmt.Fprintf(s.Out, "guard pid %d: %s\n", r.PID, r.Message)
				return nil
			case guardCancelVoid:
				return withCode(exitActionFailed, fmt.Errorf("guard pid %d: %s", r.PID, r.Message))
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return withCode(exitActionFailed, fmt.Errorf("no guard answered within %s: is one running for this environment? (the cancel stays journaled; a guard reads only cancels newer than its start)", wait))
}
