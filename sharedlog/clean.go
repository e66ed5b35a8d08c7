package sharedlog

import (
	"encoding/json"

	"github.com/openagents/cockpit/internal/safetext"
	"github.com/openagents/cockpit/journal"
)

// decodeRecord is a row's record, cleaned as journal's reader cleans a
// line (another cockpit, or anyone with INSERT, wrote it: outside text);
// false when it is not a record. It mirrors journal's unexported
// decodeLine/clean until journal exports them.
func decodeRecord(b []byte) (journal.Record, bool) {
	var r journal.Record
	if len(b) == 0 || len(b) > MaxRecordBytes || json.Unmarshal(b, &r) != nil || r.Kind == "" {
		return journal.Record{}, false
	}
	for _, f := range []*string{&r.Kind, &r.Env, &r.Operator, &r.Host, &r.ConfigHash, &r.Step, &r.Check, &r.Verdict} {
		*f = safetext.Clean(*f)
	}
	for _, f := range []*string{&r.Evidence, &r.Message, &r.Reason} {
		*f = safetext.CleanLines(*f)
	}
	for i, a := range r.Argv {
		r.Argv[i] = safetext.Clean(a)
	}
	return r, true
}
