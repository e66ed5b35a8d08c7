package scripted

import (
	"github.com/openagents/cockpit/executor"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/output"
	"github.com/openagents/cockpit/runbook"
	"github.com/openagents/cockpit/sharedlog"
)

// TimelineFormats are the executor's timeline formats, by -o.
var TimelineFormats = output.Registry[string]{
	output.Text: executor.TimelineText, output.Markdown: executor.TimelineMarkdown, output.JSON: executor.TimelineJSON,
}

// Timeline writes an environment's timeline to tw, leaving out the probe
// answers journaled again unchanged. Without shared records this machine's
// journal (read through tail) alone is streamed: each record is written as
// it is read, so a journal of any length costs one line of memory. With
// the shared timeline's records (every machine's) the two are merged in
// time order, which needs both in hand. readErr is the journal's (a
// *journal.CorruptError names lines skipped, the rest still written),
// writeErr the first write that failed, which ends the timeline.
func Timeline(tw *executor.TimelineWriter, tail *journal.Tail, shared []journal.Record) (readErr, writeErr error) {
	var repeats runbook.ProbeRepeats
	emit := func(r journal.Record) error {
		if !repeats.Repeat(r) {
			writeErr = tw.Write(r)
		}
		return writeErr
	}
	if len(shared) == 0 {
		_, readErr = tail.Each(emit)
		return readErr, writeErr
	}
	local, _, readErr := tail.Next()
	// Every machine's records, and this machine's not yet published (the
	// database was away when they were written).
	for _, r := range sharedlog.Merge(shared, local) {
		if emit(r) != nil {
			break
		}
	}
	return readErr, writeErr
}
