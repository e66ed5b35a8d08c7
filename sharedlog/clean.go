package sharedlog

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/openagents/cockpit/internal/safetext"
	"github.com/openagents/cockpit/internal/skew"
	"github.com/openagents/cockpit/journal"
)

// unreadableKind is the kind of the line a row that is no record becomes:
// too large, or not a record's JSON. It costs the reader a line, never the
// row's bytes.
const unreadableKind = "unreadable"

// unverifiedTextRunes bounds each text field of an unverified record: it
// is shown as one line, and a forged row must not cost a follower more.
const unverifiedTextRunes = 256

// row is one cockpit_journal row as read: its place, its JSON (nil when
// larger than MaxRecordBytes, whose size is then in size), and the
// database's clock when it was read.
type row struct {
	seq    int64
	origin string
	offset int64
	size   int
	raw    []byte
	dbNow  time.Time
}

// decodeRow is a row's record, cleaned as every journal reader cleans one
// (another cockpit, or anyone with INSERT, wrote it: outside text), with
// its provenance: verified when a key in trust signed it for the operator
// it names and it is not dated in the future of the database's clock.
// Anything else is delivered unverified with why; a row that is no
// record is a one-line "unreadable" record.
func decodeRow(env string, rw row, trust Trust) journal.Record {
	prov := &journal.Provenance{Origin: safetext.CleanN(rw.origin, 64)}
	var stored storedRecord
	switch {
	case rw.raw == nil:
		prov.Problem = fmt.Sprintf("too large (%d bytes, over %d)", rw.size, MaxRecordBytes)
	case json.Unmarshal(rw.raw, &stored) != nil || stored.Kind == "":
		prov.Problem = "not a journal record"
	}
	if prov.Problem != "" {
		return journal.Record{Time: rw.dbNow, Kind: unreadableKind, Env: env, Message: fmt.Sprintf("row %d: %s", rw.seq, prov.Problem), Shared: prov}
	}
	if err := verify(env, rw, stored, trust); err != nil {
		prov.Problem = err.Error()
		stored.Record = oneLine(stored.Record)
	}
	rec := journal.Clean(stored.Record)
	prov.Verified = prov.Problem == ""
	rec.Shared = prov
	return rec
}

// verify says why a stored record is not to be believed, nil when it is.
func verify(env string, rw row, stored storedRecord, trust Trust) error {
	if stored.Sig == nil {
		return fmt.Errorf("unsigned")
	}
	msg, err := signedBytes(env, rw.origin, rw.offset, stored.Record)
	if err != nil {
		return fmt.Errorf("not a journal record: %w", err)
	}
	if err := trust.Keys.Check(stored.Operator, stored.Sig.Key, msg, stored.Sig.Sig); err != nil {
		return err
	}
	return skew.Check("shared record", stored.Time, rw.dbNow, trust.MaxSkew)
}

// oneLine is an unverified record cut to what its timeline line shows,
// before it is cleaned (cleaning a megabyte to keep a line costs a
// follower time for nothing).
func oneLine(r journal.Record) journal.Record {
	for _, f := range []*string{&r.Evidence, &r.Message, &r.Reason} {
		*f = safetext.CleanN((*f)[:min(len(*f), 4*unverifiedTextRunes)], unverifiedTextRunes)
	}
	r.Argv = nil
	return r
}
