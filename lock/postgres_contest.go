package lock

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Bounds are how long a rollback gives the holder of the lock it needs.
type Bounds struct {
	// Silence: a holder that answers none of the rollback's probes for this
	// long is taken over: a suspended laptop, a hung process, or a session
	// that only carries a cockpit's name.
	Silence time.Duration
	// Stop: a forward step that answers but still holds the lock this long
	// after it was asked to stop has its session ended.
	Stop time.Duration
}

// DefaultBounds: silence is five heartbeats, enough for a loaded machine
// to answer; a forward step stops at its next safe point, which ends a
// running actuator at once.
var DefaultBounds = Bounds{Silence: 10 * time.Second, Stop: 30 * time.Second}

// probeEvery spaces a rollback's probes of the holder.
const probeEvery = 500 * time.Millisecond

// BypassError says a rollback could not remove the holder of the advisory
// lock (ending its session was refused, or the database stopped answering
// mid-way): the rollback goes on without that lock, saying so.
type BypassError struct {
	Holder Holder
	Reason string
}

func (e *BypassError) Error() string {
	return fmt.Sprintf("could not take the advisory lock from %s@%s pid %d: %s", e.Holder.Operator, e.Holder.Host, e.Holder.PID, e.Reason)
}

// rival is one session seen holding the key during a contest.
type rival struct {
	busy     *BusyError
	cockpit  bool // its application_name is a cockpit's (anyone may forge it: the probe decides)
	nonce    string
	first    time.Time // first seen
	answered time.Time // last answer to a probe; zero: never
	asked    time.Time // first asked to stop (forward steps)
	ended    bool      // its session was terminated
}

// contest is a rollback taking the advisory lock: a rollback always wins,
// except against a live rollback.
type contest struct {
	l       *Postgres
	conn    *pgx.Conn
	reply   string
	b       Bounds
	timeout time.Duration // each query's bound: the database may stop answering mid-way
	who     string
	note    func(string)
	rivals  map[int]*rival
}

// AcquireRollback takes the key for a rollback. A forward step holding it
// is asked to stop and waited for (it releases once its outcome is
// journaled), within b.Stop; a holder that is not a cockpit, or that
// answers no probe for b.Silence, has its session ended. A live rollback
// is a *BusyError; a holder that cannot be ended is a *BypassError. Each
// query is bounded by timeout; note receives what the rollback did, for the
// journal and the screen.
func (l *Postgres) AcquireRollback(ctx context.Context, h Holder, b Bounds, timeout time.Duration, note func(string)) (*Lease, error) {
	cctx, cancel := context.WithTimeout(ctx, timeout)
	conn, err := l.connect(cctx, h)
	cancel()
	if err != nil {
		return nil, err
	}
	c := &contest{l: l, conn: conn, b: b, timeout: timeout, note: note, rivals: map[int]*rival{},
		reply: fmt.Sprintf("%s%d", replyPrefix, conn.PgConn().PID()),
		who:   fmt.Sprintf("rollback of %s@%s pid %d", h.Operator, h.Host, h.PID)}
	lease, err := c.run(ctx, h)
	if err != nil {
		_ = conn.Close(context.Background())
	}
	return lease, err
}

func (c *contest) run(ctx context.Context, h Holder) (*Lease, error) {
	if err := c.exec(ctx, "LISTEN "+pgx.Identifier{c.reply}.Sanitize()); err != nil {
		return nil, fmt.Errorf("listening for the holder's answers: %w", err)
	}
	for {
		qctx, cancel := context.WithTimeout(ctx, c.timeout)
		got, err := c.l.try(qctx, c.conn)
		var busy *BusyError
		if err == nil && !got {
			busy, err = c.l.busy(qctx, c.conn)
		}
		cancel()
		switch {
		case err != nil:
			return nil, err
		case got:
			return c.l.hold(ctx, c.conn, h, c.preempted())
		case busy.Session != 0:
			if err := c.face(ctx, busy); err != nil {
				return nil, err
			}
		}
		if err := c.await(ctx, probeEvery); err != nil {
			return nil, err
		}
	}
}

// face decides what to do about the session holding the key this round:
// end it, refuse (a live rollback), or probe it and wait.
func (c *contest) face(ctx context.Context, busy *BusyError) error {
	r := c.rival(busy)
	if r.ended {
		return nil // terminated: PostgreSQL frees the key as the backend exits
	}
	if why := c.verdict(r); why != "" {
		return c.end(ctx, r, why)
	}
	if !busy.Holder.forward() && !r.answered.IsZero() {
		return busy // a live rollback holds another off
	}
	kind := probePing
	if busy.Holder.forward() {
		kind = probePreempt
		if r.asked.IsZero() {
			r.asked = time.Now()
			c.note(fmt.Sprintf("preempting %s (%v): asked it to stop; the rollback takes the lock over", busy.Holder.Step, busy))
		}
	}
	msg := probePayload(probe{kind: kind, reply: c.reply, nonce: r.nonce, who: c.who})
	return c.exec(ctx, "SELECT pg_notify($1, $2)", lockChannel(c.l.Key), msg)
}

// preempted are the forward steps this contest asked to stop or ended.
func (c *contest) preempted() []Holder {
	var hs []Holder
	for _, r := range c.rivals {
		if r.busy.Holder.forward() && (!r.asked.IsZero() || r.ended) {
			hs = append(hs, r.busy.Holder)
		}
	}
	return hs
}

func (c *contest) rival(busy *BusyError) *rival {
	if r, ok := c.rivals[busy.Session]; ok {
		r.busy = busy
		return r
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	r := &rival{busy: busy, cockpit: !busy.Foreign && busy.Holder.Step != "", nonce: hex.EncodeToString(b), first: time.Now()}
	c.rivals[busy.Session] = r
	return r
}

// verdict is why a holder is ended, "" when it is not (yet).
func (c *contest) verdict(r *rival) string {
	now := time.Now()
	heard := r.first
	if r.answered.After(heard) {
		heard = r.answered
	}
	switch {
	case !r.cockpit:
		return fmt.Sprintf("it is not a cockpit's session (application_name %q): a stray holder", r.busy.Holder.Operator)
	case now.Sub(heard) >= c.b.Silence:
		if r.answered.IsZero() {
			return fmt.Sprintf("it answered none of the rollback's probes for %s (suspended, hung, or only named like a cockpit)", c.b.Silence)
		}
		return fmt.Sprintf("it fell silent: no answer for %s", c.b.Silence)
	case !r.asked.IsZero() && now.Sub(r.asked) >= c.b.Stop:
		return fmt.Sprintf("it did not stop within %s of being asked", c.b.Stop)
	}
	return ""
}

// end terminates the holder's session. Refused (no right to signal that
// backend) or already gone, the caller bypasses the lock.
func (c *contest) end(ctx context.Context, r *rival, why string) error {
	h := r.busy.Holder
	qctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var ended bool
	err := c.conn.QueryRow(qctx, "SELECT pg_terminate_backend($1)", r.busy.Session).Scan(&ended)
	if err != nil {
		return &BypassError{Holder: h, Reason: fmt.Sprintf("%s, and ending its session (backend %d) was refused: %v", why, r.busy.Session, err)}
	}
	// false: the backend was already gone; the key frees either way.
	r.ended = true
	if ended {
		c.note(fmt.Sprintf("ended the session of %s (backend %d): %s", r.busy, r.busy.Session, why))
	}
	return nil
}

// await reads the holders' answers for d.
func (c *contest) await(ctx context.Context, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		wctx, cancel := context.WithDeadline(ctx, deadline)
		n, err := c.conn.WaitForNotification(wctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return fmt.Errorf("taking the advisory lock: %w", context.Cause(ctx))
		case err != nil && c.conn.IsClosed():
			return fmt.Errorf("the lock database session was lost while taking the lock: %w", err)
		case err != nil:
			return nil // d is over
		}
		if a, ok := parseAnswer(n.Payload); ok {
			c.heard(a)
		}
	}
}

func (c *contest) heard(a answer) {
	for _, r := range c.rivals {
		if r.nonce == a.nonce {
			r.answered = time.Now()
		}
	}
}

func (c *contest) exec(ctx context.Context, sql string, args ...any) error {
	qctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if _, err := c.conn.Exec(qctx, sql, args...); err != nil {
		return fmt.Errorf("lock database: %w", err)
	}
	return nil
}

// IsBypass says whether err is a rollback's bypass of a holder it could
// not remove.
func IsBypass(err error) bool {
	var b *BypassError
	return errors.As(err, &b)
}
