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
// bits), with objsubid 1 for the single-bigint form.
const sqlHolder = `
SELECT a.application_name, a.pid, coalesce(a.client_hostname, host(a.client_addr), ''), a.backend_start
FROM pg_catalog.pg_locks l
JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
  AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
  AND l.classid = (($1::bigint >> 32) & 4294967295)::oid
  AND l.objid = ($1::bigint & 4294967295)::oid
LIMIT 1`

// pingEvery is how often a held lock's session is checked; a session that
// does not answer a ping within pingTimeout counts as lost.
const (
	pingEvery   = 2 * time.Second
	pingTimeout = 3 * time.Second
)

// Acquire connects, tries the lock once and keeps the connection open for
// as long as the lock is held. The whole attempt is bounded by ctx (give
// it a deadline: a database that accepts and never answers must not hold
// anyone). While held, the session is pinged: when it is lost (the database
// restarted, the network dropped, a rollback ended the session to take the
// lock over), the Lease's Lost channel says so.
func (l *Postgres) Acquire(ctx context.Context, holder Holder) (*Lease, error) {
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
	var got bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", l.Key).Scan(&got); err != nil {
		_ = conn.Close(context.Background())
		return nil, fmt.Errorf("taking advisory lock: %w", err)
	}
	if !got {
		defer conn.Close(context.Background())
		h, session, err := l.holder(ctx, conn)
		if err != nil {
			return nil, err
		}
		return nil, &BusyError{Holder: h, At: l.now(), Session: session}
	}
	s := &session{conn: conn, key: l.Key, stop: make(chan struct{}), done: make(chan struct{})}
	lost := make(chan error, 1)
	go s.watch(lost)
	return NewLease(s.release, lost), nil
}

// session is the held lock's connection. pgx connections are not safe for
// concurrent use: the watcher stops before the release touches it.
type session struct {
	conn *pgx.Conn
	key  int64
	stop chan struct{}
	done chan struct{}
}

// watch pings the session until released; the first failure is reported
// once on lost and ends the watch.
func (s *session) watch(lost chan<- error) {
	defer close(s.done)
	t := time.NewTicker(pingEvery)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), pingTimeout)
		err := s.conn.Ping(ctx)
		cancel()
		if err != nil {
			lost <- fmt.Errorf("the advisory lock's database session was lost: %w", err)
			return
		}
	}
}

// release unlocks and closes; an unlock PostgreSQL says it did not hold
// (the session was replaced, or someone unlocked it) is an error, not
// silence.
func (s *session) release() error {
	close(s.stop)
	<-s.done
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var unlocked bool
	unlockErr := s.conn.QueryRow(ctx, "SELECT pg_advisory_unlock($1)", s.key).Scan(&unlocked)
	if err := s.conn.Close(ctx); err != nil && unlockErr == nil {
		return fmt.Errorf("closing lock connection: %w", err)
	}
	switch {
	case unlockErr != nil:
		return fmt.Errorf("releasing advisory lock: %w", unlockErr)
	case !unlocked:
		return errors.New("releasing advisory lock: PostgreSQL says this session did not hold it")
	}
	return nil
}

// Preempt ends the holder's database session (pg_terminate_backend): its
// lock is freed at once, and the holder's cockpit, whose ping fails, stops
// its forward step at the next safe point. It needs the right to signal that
// backend (the same role, or pg_signal_backend).
func (l *Postgres) Preempt(ctx context.Context, busy *BusyError) error {
	if busy.Session == 0 {
		return errors.New("the lock's holder session is unknown")
	}
	conn, err := pgx.Connect(ctx, l.URL)
	if err != nil {
		return fmt.Errorf("connecting to the lock database: %w", err)
	}
	defer conn.Close(context.Background())
	var ended bool
	if err := conn.QueryRow(ctx, "SELECT pg_terminate_backend($1)", busy.Session).Scan(&ended); err != nil {
		return fmt.Errorf("ending the holder's session: %w", err)
	}
	if !ended {
		return fmt.Errorf("the holder's session (backend %d) was already gone", busy.Session)
	}
	return nil
}

// holder names who holds the key, and their backend pid.
func (l *Postgres) holder(ctx context.Context, conn *pgx.Conn) (Holder, int, error) {
	var (
		app, host string
		pid       int
		start     time.Time
	)
	err := conn.QueryRow(ctx, sqlHolder, l.Key).Scan(&app, &pid, &host, &start)
	if errors.Is(err, pgx.ErrNoRows) {
		// Released between our try and this read: still a refusal, the
		// operator can retry.
		return Holder{}, 0, nil
	}
	if err != nil {
		return Holder{}, 0, fmt.Errorf("reading advisory lock holder: %w", err)
	}
	h, ok := decodeHolder(app)
	if !ok {
		// Someone else's session holds the key: name what PostgreSQL knows.
		h = Holder{Operator: app, Host: host, Since: start}
	}
	if h.Host == "" {
		h.Host = host
	}
	if h.PID == 0 {
		h.PID = pid
	}
	return h, pid, nil
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
