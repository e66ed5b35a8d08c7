package sharedlog

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/openagents/cockpit/journal"
)

// pageSize is how many rows one query reads.
const pageSize = 1000

// sqlAfter reads an environment's rows after a seq, but those of one
// origin ($5, "" for none): a machine's own journal it already has. An
// oversized record comes back NULL: its seq still moves the reader on, its
// bytes never cross the wire.
const sqlAfter = `SELECT seq, CASE WHEN octet_length(record::text) <= $3 THEN record END
FROM cockpit_journal WHERE env = $1 AND seq > $2 AND origin <> $5 ORDER BY seq LIMIT $4`

// querier is a pool or a connection.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// readPage returns up to pageSize records of env after seq (skipping an
// origin, "" for none), cleaned, the last seq read, and how many rows it
// read (oversized and undecodable records are counted but not returned).
func readPage(ctx context.Context, q querier, env string, after int64, skipOrigin string) (recs []journal.Record, last int64, n int, err error) {
	rows, err := q.Query(ctx, sqlAfter, env, after, MaxRecordBytes, pageSize, skipOrigin)
	if err != nil {
		return nil, after, 0, fmt.Errorf("reading the shared timeline: %w", err)
	}
	defer rows.Close()
	last = after
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&last, &raw); err != nil {
			return nil, after, 0, fmt.Errorf("reading the shared timeline: %w", err)
		}
		n++
		if r, ok := decodeRecord(raw); ok {
			recs = append(recs, r)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, after, 0, fmt.Errorf("reading the shared timeline: %w", err)
	}
	return recs, last, n, nil
}

// Read returns the whole shared timeline of env in order, every string
// cleaned for the screen, for a machine that ran nothing itself.
func Read(ctx context.Context, dbURL, env string) ([]journal.Record, error) {
	return read(ctx, dbURL, env, "")
}

// ReadOthers is Read without the records published from the journal at
// ownJournal, which the caller reads from its file.
func ReadOthers(ctx context.Context, dbURL, env, ownJournal string) ([]journal.Record, error) {
	skip, _ := readOrigin(originPath(ownJournal)) // none yet: nothing of it published
	return read(ctx, dbURL, env, skip)
}

func read(ctx context.Context, dbURL, env, skipOrigin string) ([]journal.Record, error) {
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
		recs, last, n, err := readPage(ctx, conn, env, after, skipOrigin)
		if err != nil {
			return nil, err
		}
		all = append(all, recs...)
		if n < pageSize {
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
