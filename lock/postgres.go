package lock

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Postgres is a session-level advisory lock (pg_try_advisory_lock) on a
// dedicated connection. It guards an environment across machines: every
// operator's cockpit talks to the same database. The session's
// application_name carries the holder, so a refused acquirer can read it
// from pg_stat_activity; PostgreSQL frees the lock when the session ends.
type Postgres struct {
	URL string
	Key int64
	// Now stamps refusals; time.Now when nil.
	Now func() time.Time
}

// PostgresLock returns the advisory lock key on the database at dbURL.
func PostgresLock(dbURL string, key int64) *Postgres { return &Postgres{URL: dbURL, Key: key} }

// EnvKey derives a stable advisory-lock key from an environment name, so
// every cockpit that acts on the same environment contends for the same key.
func EnvKey(env string) int64 {
	h := fnv.New64a()
	h.Write([]byte("cockpit:" + env))
	return int64(h.Sum64())
}

// sqlHolder finds the session holding the advisory lock on a bigint key:
// PostgreSQL splits the key into classid (high 32 bits) and objid (low 32
// bits), with objsubid 1 for the single-bigint form. pg_locks and
// pg_stat_activity's pid and application_name are visible to every role;
// another role's backend_start and client address read NULL without
// pg_read_all_stats, so they are optional here.
const sqlHolder = `
SELECT a.application_name, a.pid, coalesce(a.client_hostname, host(a.client_addr), ''), a.backend_start
FROM pg_catalog.pg_locks l
JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
  AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
  AND l.classid = (($1::bigint >> 32) & 4294967295)::oid
  AND l.objid = ($1::bigint & 4294967295)::oid
LIMIT 1`

// sqlHeld proves, on the lock's own session, that this session still holds
// the key: the fence a forward step passes before each actuator.
const sqlHeld = `
SELECT count(*) FROM pg_catalog.pg_locks l
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.pid = pg_backend_pid()
  AND l.classid = (($1::bigint >> 32) & 4294967295)::oid
  AND l.objid = ($1::bigint & 4294967295)::oid`

// pingEvery is how often a held lock's session is pinged (its heartbeat);
// a session that does not answer a ping within pingTimeout counts as lost.
// Between pings the session waits for notifications in slices of
// listenSlice, so a rollback's request, a fence check or the server ending
// the session is answered within that.
const (
	pingEvery   = 2 * time.Second
	pingTimeout = 3 * time.Second
	listenSlice = 100 * time.Millisecond
)

// Acquire connects, tries the lock once and keeps the connection open for
// as long as the lock is held. The whole attempt is bounded by ctx (give
// it a deadline: a database that accepts and never answers must not hold
// anyone). While held, the session listens on the key's channel, answering
// a rollback's probes and requests, and is pinged: when it is lost (the
// database restarted, the network dropped, a rollback ended the session)
// or a rollback asks for it, the Lease's Lost channel says so.
func (l *Postgres) Acquire(ctx context.Context, holder Holder) (*Lease, error) {
	conn, err := l.connect(ctx, holder)
	if err != nil {
		return nil, err
	}
	got, err := l.try(ctx, conn)
	if err != nil {
		_ = conn.Close(context.Background())
		return nil, err
	}
	if !got {
		defer conn.Close(context.Background())
		busy, err := l.busy(ctx, conn)
		if err != nil {
			return nil, err
		}
		return nil, busy
	}
	return l.hold(ctx, conn, holder, nil)
}

// connect opens the lock's dedicated session, naming the holder in its
// application_name.
func (l *Postgres) connect(ctx context.Context, holder Holder) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(l.URL)
	if err != nil {
		return nil, errors.New("parsing the lock database url failed (check the url's syntax)")
	}
	cfg.RuntimeParams["application_name"] = encodeHolder(holder)
	// TCP keepalives notice a dead peer even between pings.
	cfg.DialFunc = (&net.Dialer{KeepAlive: 5 * time.Second}).DialContext
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to the lock database: %w", err)
	}
	return conn, nil
}

func (l *Postgres) try(ctx context.Context, conn *pgx.Conn) (bool, error) {
	var got bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", l.Key).Scan(&got); err != nil {
		return false, fmt.Errorf("taking advisory lock: %w", err)
	}
	return got, nil
}

// busy is the refusal naming who holds the key.
func (l *Postgres) busy(ctx context.Context, conn *pgx.Conn) (*BusyError, error) {
	h, session, cockpit, err := l.holder(ctx, conn)
	if err != nil {
		return nil, err
	}
	return &BusyError{Holder: h, At: l.now(), Session: session, Foreign: session != 0 && !cockpit}, nil
}

// hold turns a session that took the key into a lease: it listens on the
// key's channel and is watched until released.
func (l *Postgres) hold(ctx context.Context, conn *pgx.Conn, holder Holder, tookOver []Holder) (*Lease, error) {
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{lockChannel(l.Key)}.Sanitize()); err != nil {
		_ = conn.Close(context.Background())
		return nil, fmt.Errorf("listening on the lock's channel: %w", err)
	}
	s := &session{conn: conn, key: l.Key, holder: holder, stop: make(chan struct{}), done: make(chan struct{}),
		checks: make(chan chan error), lost: make(chan error, 1)}
	go s.watch()
	lease := NewFencedLease(s.release, s.lost, s.check)
	lease.tookOver = tookOver
	return lease, nil
}

// holder names who holds the key, their backend pid, and whether the
// session's application_name is a cockpit's. A holder whose
// session this role may not inspect still has its application_name read
// (visible to every role): only its start time and address are missing.
func (l *Postgres) holder(ctx context.Context, conn *pgx.Conn) (Holder, int, bool, error) {
	var (
		app, host string
		pid       int
		start     *time.Time
	)
	err := conn.QueryRow(ctx, sqlHolder, l.Key).Scan(&app, &pid, &host, &start)
	if errors.Is(err, pgx.ErrNoRows) {
		// Released between our try and this read: still a refusal, the
		// operator can retry.
		return Holder{}, 0, false, nil
	}
	if err != nil {
		return Holder{}, 0, false, fmt.Errorf("reading advisory lock holder: %w", err)
	}
	h, ok := decodeHolder(app)
	if !ok {
		// Someone else's session holds the key: name what PostgreSQL knows.
		h = Holder{Operator: app, Host: host}
		if start != nil {
			h.Since = *start
		}
		if app == "" {
			h.Operator = "a session with no application_name"
		}
	}
	if h.Host == "" {
		h.Host = host
	}
	if h.PID == 0 {
		h.PID = pid
	}
	return h, pid, ok, nil
}

func (l *Postgres) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// holderPrefix marks an application_name written by encodeHolder.
const holderPrefix = "ck1|"

// maxAppName is NAMEDATALEN-1: PostgreSQL silently truncates longer
// application_names, which is why the holder is packed rather than JSON.
const maxAppName = 63

// encodeHolder packs a holder as ck1|operator|host|pid|env|step|unix-since,
// shortening the operator and host so the whole fits in 63 bytes.
func encodeHolder(h Holder) string {
	tail := fmt.Sprintf("|%d|%s|%s|%d", h.PID, clean(h.Env), clean(h.Step), h.Since.Unix())
	room := maxAppName - len(holderPrefix) - len(tail) - 1
	op, host := clean(h.Operator), clean(h.Host)
	if room < 2 {
		op, host = "", ""
	} else {
		op = cut(op, max(room/2, room-len(host)))
		host = cut(host, room-len(op))
	}
	s := holderPrefix + op + "|" + host + tail
	return cut(s, maxAppName)
}

func decodeHolder(s string) (Holder, bool) {
	rest, ok := strings.CutPrefix(s, holderPrefix)
	if !ok {
		return Holder{}, false
	}
	f := strings.Split(rest, "|")
	if len(f) != 6 {
		return Holder{}, false
	}
	pid, err1 := strconv.Atoi(f[2])
	since, err2 := strconv.ParseInt(f[5], 10, 64)
	if err1 != nil || err2 != nil {
		return Holder{}, false
	}
	return Holder{Operator: f[0], Host: f[1], PID: pid, Env: f[3], Step: f[4], Since: time.Unix(since, 0)}, true
}

// clean keeps printable ASCII without the separator: PostgreSQL replaces
// anything else in application_name with '?'.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '|' {
			return '_'
		}
		return r
	}, s)
}

func cut(s string, n int) string {
	if n < 0 {
		n = 0
	}
	if len(s) > n {
		return s[:n]
	}
	return s
}
