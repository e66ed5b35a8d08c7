package main

import (
	"errors"
	"fmt"
)

// Exit codes, documented in the README. They are mapped from typed errors
// here and nowhere else.
const (
	exitOK            = 0 // every check passed / the action completed
	exitCheckFailed   = 1 // a check failed
	exitUnknown       = 2 // unknown or stale data: hold
	exitNeedsApproval = 3 // a gate needs an approval that was not given
	exitUsage         = 4 // config or usage error
	exitActionFailed  = 5 // an action failed
	exitRolledBack    = 6 // a rollback ran
)

// exitError carries an exit code. Silent ones have already told the user
// what happened (a report was printed), so main prints nothing more.
type exitError struct {
	code   int
	err    error
	silent bool
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// withCode attaches an exit code to err.
func withCode(code int, err error) error { return &exitError{code: code, err: err} }

// silentExit ends with code after the command already printed its result.
func silentExit(code int) error { return &exitError{code: code, silent: true} }

// usageError is a bad flag, argument or config: exit 4.
func usageError(format string, args ...any) error {
	return withCode(exitUsage, fmt.Errorf(format, args...))
}

func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	// cobra's own errors (unknown flag, missing argument) are usage errors.
	return exitUsage
}

func isSilent(err error) bool {
	var ee *exitError
	return errors.As(err, &ee) && ee.silent
}
