// Package scripted renders what the scripted verbs print (check, status,
// preflight, and the events of run and rollback) in each -o format: the
// reports as data, their formatters in output.Registry form. The verbs in
// cmd/cockpit only pick the formatter and map verdicts to exit codes; the
// words and colours of their output live here, next to each other, and
// are tested without a process.
package scripted
