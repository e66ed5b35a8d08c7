package sharedlog

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/openagents/cockpit/journal"
)

// pageSize is how many rows one query reads. Rows are decoded as they
// stream in, each kept only as its (cleaned, for an unverified one
// one-line) record: a page of large rows never sits in memory at once.
const pageSize = 1000

// sqlAfter reads an environment's rows after a seq, but those of one
// origin ($5, "" for none): a machine's own journal it already has. An
// oversized record comes back NULL with its size: its seq still moves the
// reader on, its bytes never cross the wire. now() is the database's
// clock, which record times are judged by.
const sqlAfter = `SELECT seq, origin, origin_offset, octet_length(record::text),
	CASE WHEN octet_length(record::text) <= $3 THEN record END, now()
FROM cockpit_journal WHERE env = $1 AND seq > $2 AND origin <> $5 ORDER BY seq LIMIT $4`

// querier is a pool or a connection.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// readPage returns up to limit records of env after seq (skipping an
// origin, "" for none), each judged by trust (decodeRow), the last seq
// read, and whether more may follow (a full page).
func readPage(ctx context.Context, q querier, env string, after int64, skipOrigin string, limit int, trust Trust) (recs []journal.Record, last int64, more bool, err error) {
	rows, err := q.Query(ctx, sqlAfter, env, after, MaxRecordBytes, limit, skipOrigin)
	if err != nil {
		return nil, after, false, fmt.Errorf("reading the shared timeline: %w", err)
	}
	defer rows.Close()
	last = after
	for rows.Next() {
		var rw row
		if err := rows.Scan(&rw.seq, &rw.origin, &rw.offset, &rw.size, &rw.raw, &rw.dbNow); err != nil {
			return nil, after, false, fmt.Errorf("reading the shared timeline: %w", err)
		}
		last = rw.seq
		recs = append(recs, decodeRow(env, rw, trust))
	}
	if err := rows.Err(); err != nil {
		return nil, after, false, fmt.Errorf("reading the shared timeline: %w", err)
	}
	return recs, last, len(recs) == limit, nil
}

// Read returns the whole shared timeline of env in order, every string
// cleaned for the screen and every record judged by trust, for a machine
// that ran nothing itself.
func Read(ctx context.Context, dbURL, env string, trust Trust) ([]journal.Record, error) {
	return read(ctx, dbURL, env, "", trust)
}

// ReadOthers is Read without the records published from the journal at
// ownJournal, which the caller reads from its file.
func ReadOthers(ctx context.Context, dbURL, env, ownJournal string, trust Trust) ([]journal.Record, error) {
	skip, _ := readOrigin(originPath(ownJournal)) // none yet: nothing of it published
	return read(ctx, dbURL, env, skip, trust)
}

func read(ctx context.Context, dbURL, env, skipOrigin string, trust Trust) ([]journal.Record, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, fmt.Errorf("reading the shared timeline: %w", err)
	}
	defer closeConn(conn)
	var (
		all   []journal.Record
		after int64
	)
	for {
		recs, last, more, err := readPage(ctx, conn, env, after, skipOrigin, pageSize, trust)
		if err != nil {
			return nil, err
		}
		all = append(all, recs...)
		if !more {
			return all, nil
		}
		after = last
	}
}

// closeConn closes a connection without waiting long on a dead server.
func closeConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = conn.Close(ctx)
}

// Merge is the shared timeline with the local records it lacks, in time
// order (the shared order kept among equal times): every machine's
// records, and this machine's not yet published.
func Merge(shared, local []journal.Record) []journal.Record {
	key := func(r journal.Record) string {
		return strings.Join([]string{r.Time.UTC().Format(time.RFC3339Nano), r.Kind, r.Step, r.Check, r.Host, r.Message}, "|")
	}
	seen := make(map[string]bool, len(shared))
	for _, r := range shared {
		seen[key(r)] = true
	}
	out := slices.Clone(shared)
	for _, r := range local {
		if !seen[key(r)] {
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b journal.Record) int { return a.Time.Compare(b.Time) })
	return out
}
