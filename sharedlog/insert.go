package sharedlog

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openagents/cockpit/journal"
)

// queued is a journal record waiting for the database, with its key.
type queued struct {
	origin string
	offset int64
	rec    journal.Record
	record []byte // the record as the row stores it (JSON, signed)
}

// The per-environment advisory lock makes seq order commit order: a
// subscriber reading "seq > last seen" can then never miss a row that a
// slower transaction commits later with a smaller seq.
const (
	sqlLockEnv = `SELECT pg_advisory_xact_lock(hashtextextended('cockpit_journal ' || $1, 0))`
	sqlInsert  = `INSERT INTO cockpit_journal (env, origin, origin_offset, record)
VALUES ($1, $2, $3, $4)
ON CONFLICT (env, origin, origin_offset) DO NOTHING`
	// sqlResume is how far the database has an origin, and whether its
	// first record is the one given (true when either is missing).
	sqlResume = `SELECT coalesce(max(origin_offset), -1),
	coalesce(bool_and(record = $3::jsonb) FILTER (WHERE origin_offset = 0), true)
FROM cockpit_journal WHERE env = $1 AND origin = $2`
)

// insertBatch stores records in one transaction, in order, under
// insertTimeout; rows already there are left alone.
func insertBatch(ctx context.Context, pool *pgxpool.Pool, env string, recs []queued) error {
	ctx, cancel := context.WithTimeout(ctx, insertTimeout)
	defer cancel()
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue(sqlLockEnv, env)
		for _, q := range recs {
			b.Queue(sqlInsert, env, q.origin, q.offset, q.record)
		}
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return fmt.Errorf("publishing to the shared timeline: %w", err)
	}
	return nil
}

// publishedUpTo is the highest offset of origin already in the database
// (-1 for none): inserts go in order, so every offset below it is there
// too. same is false when the database's first record of origin is not
// first (the record at offset 0, or nil when unknown).
func publishedUpTo(ctx context.Context, pool *pgxpool.Pool, env, origin string, first []byte) (upTo int64, same bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, insertTimeout)
	defer cancel()
	if err := pool.QueryRow(ctx, sqlResume, env, origin, first).Scan(&upTo, &same); err != nil {
		return 0, false, fmt.Errorf("asking the shared timeline how far it has this journal: %w", err)
	}
	return upTo, same, nil
}
