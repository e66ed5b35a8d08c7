package sharedlog

import "github.com/openagents/cockpit/journal"

// decodeRecord is a row's record, cleaned as every journal reader cleans
// one (another cockpit, or anyone with INSERT, wrote it: outside text);
// false when it is too large or not a record.
func decodeRecord(b []byte) (journal.Record, bool) {
	if len(b) == 0 || len(b) > MaxRecordBytes {
		return journal.Record{}, false
	}
	return journal.Decode(b)
}
