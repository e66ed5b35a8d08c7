package lock

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// session is the held lock's connection. pgx connections are not safe for
// concurrent use: only the watcher touches it until it stops, and fence
// checks are sent to the watcher.
type session struct {
	conn   *pgx.Conn
	key    int64
	holder Holder
	stop   chan struct{}
	done   chan struct{}
	checks chan chan error
	lost   chan error

	mu     sync.Mutex
	reason error // why the lease is lost; nil while held
}

// watch answers fence checks and rollbacks' messages and pings the session
// until released. The session failing ends the watch; a rollback asking
// for the lock does not (the holder answers its probes until it releases).
func (s *session) watch() {
	defer close(s.done)
	nextPing := time.Now().Add(pingEvery)
	for {
		select {
		case <-s.stop:
			return
		case reply := <-s.checks:
			reply <- s.roundTrip()
			continue
		default:
		}
		err := s.listen(listenSlice)
		if err == nil && !time.Now().Before(nextPing) {
			err = s.ping()
			nextPing = time.Now().Add(pingEvery)
		}
		if err != nil {
			s.lose(fmt.Errorf("the advisory lock's database session was lost: %w", err))
			return
		}
	}
}

// lose records why the lease is lost and says so once on lost.
func (s *session) lose(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reason == nil {
		s.reason = err
		s.lost <- err
	}
}

func (s *session) lostReason() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reason
}

// check is the lease's fence: a round trip on the lock's own session, done
// by the watcher, within pingTimeout.
func (s *session) check(ctx context.Context) error {
	reply := make(chan error, 1)
	select {
	case s.checks <- reply:
	case <-s.done:
		return s.lostOr("the advisory lock's session is closed")
	case <-ctx.Done():
		return fmt.Errorf("checking the advisory lock: %w", ctx.Err())
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return fmt.Errorf("checking the advisory lock: %w", ctx.Err())
	}
}

func (s *session) lostOr(msg string) error {
	if err := s.lostReason(); err != nil {
		return err
	}
	return errors.New(msg)
}

// roundTrip asks PostgreSQL whether this session still holds the key, then
// handles any message that arrived with the answer (a rollback's request
// counts before the check passes).
func (s *session) roundTrip() error {
	if err := s.lostReason(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), pingTimeout)
	defer cancel()
	var n int
	if err := s.conn.QueryRow(ctx, sqlHeld, s.key).Scan(&n); err != nil {
		err = fmt.Errorf("the advisory lock's database session did not answer its fence check: %w", err)
		s.lose(err)
		return err
	}
	if n == 0 {
		err := errors.New("this session no longer holds the advisory lock")
		s.lose(err)
		return err
	}
	s.drain()
	return s.lostReason()
}

// listen waits up to d for a message on the key's channel and answers it.
// A timeout is not an error; the server ending the session is.
func (s *session) listen(d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	n, err := s.conn.WaitForNotification(ctx)
	switch {
	case err == nil:
		s.answer(n)
		return nil
	case s.conn.IsClosed():
		return err
	case ctx.Err() != nil || pgconn.Timeout(err):
		return nil
	default:
		return err
	}
}

// drain answers the messages that arrived during another query.
func (s *session) drain() {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // buffered notifications only: never wait
	for {
		n, err := s.conn.WaitForNotification(ctx)
		if err != nil {
			return
		}
		s.answer(n)
	}
}

func (s *session) ping() error {
	ctx, cancel := context.WithTimeout(context.Background(), pingTimeout)
	defer cancel()
	return s.conn.Ping(ctx)
}

// answer acknowledges a rollback's probe, so it knows this holder is alive,
// and, for a forward step asked to stop, loses the lease (the step stops at
// its next safe point and releases). A rollback holding the lock answers
// that it holds it: only a live rollback holds another off.
func (s *session) answer(n *pgconn.Notification) {
	m, ok := parseProbe(n.Payload)
	if !ok {
		return
	}
	state := stateHolding
	if !s.holder.isRollback() {
		if m.kind == probePreempt {
			s.lose(fmt.Errorf("preempted: %s takes the lock over", m.who))
		}
		if s.lostReason() != nil {
			state = stateStopping
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), pingTimeout)
	defer cancel()
	// Best effort: a rollback that hears nothing counts this holder silent.
	_, _ = s.conn.Exec(ctx, "SELECT pg_notify($1, $2)", m.reply, answerPayload(m.nonce, state, s.holder.Step))
}

// release stops the watcher, unlocks and closes; an unlock PostgreSQL says
// it did not hold (the session was replaced, or someone unlocked it) is an
// error, not silence.
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

// The probe protocol, on PostgreSQL's LISTEN/NOTIFY (no table, nothing
// written to the database): a rollback sends "kind|reply|nonce|who" on the
// key's channel; the holder answers "ack|nonce|state|step" on reply.
const (
	probePing     = "ping"
	probePreempt  = "preempt"
	stateHolding  = "holding"
	stateStopping = "stopping"
	replyPrefix   = "cockpit_reply_"
)

// lockChannel is the channel the key's holder listens on.
func lockChannel(key int64) string { return fmt.Sprintf("cockpit_lock_%016x", uint64(key)) }

type probe struct{ kind, reply, nonce, who string }

func probePayload(p probe) string {
	return strings.Join([]string{p.kind, p.reply, p.nonce, clean(cut(p.who, 120))}, "|")
}

// parseProbe reads a probe; anything else on the channel (anyone may
// NOTIFY it) is ignored, and the reply channel must be one of ours, so a
// message cannot make the holder notify an arbitrary channel.
func parseProbe(payload string) (probe, bool) {
	f := strings.SplitN(payload, "|", 4)
	if len(f) != 4 || (f[0] != probePing && f[0] != probePreempt) || !validReply(f[1]) || f[2] == "" {
		return probe{}, false
	}
	return probe{kind: f[0], reply: f[1], nonce: cut(clean(f[2]), 32), who: cut(clean(f[3]), 120)}, true
}

func validReply(ch string) bool {
	rest, ok := strings.CutPrefix(ch, replyPrefix)
	if !ok || rest == "" || len(ch) > maxAppName {
		return false
	}
	for _, r := range rest {
		if (r < '0' || r > '9') && (r < 'a' || r > 'z') && r != '_' {
			return false
		}
	}
	return true
}

func answerPayload(nonce, state, step string) string {
	return strings.Join([]string{"ack", nonce, state, clean(step)}, "|")
}

type answer struct{ nonce, state, step string }

func parseAnswer(payload string) (answer, bool) {
	f := strings.Split(payload, "|")
	if len(f) != 4 || f[0] != "ack" {
		return answer{}, false
	}
	return answer{nonce: f[1], state: f[2], step: f[3]}, true
}
