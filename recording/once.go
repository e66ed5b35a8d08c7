package recording

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/openagents/cockpit/runbook"
)

// RecordOnce appends one round of a one-shot process (a scripted check) to
// its day's segment, <day>-<process>-0-0.rec.gz: a script polling every
// few seconds adds a round to one file a day, not a file a call. The round
// is a gzip member of its own (a header and a full frame), written with
// one append, so concurrent calls do not interleave and a reader reads the
// file as one stream of whole rounds. It encodes the round first (work on
// a busy CPU is not the disk's delay), then waits at most closeWait for
// the disk: a hung disk never hangs the script.
func RecordOnce(o Options, st runbook.State) error {
	o.MaxBytes = cmp.Or(o.MaxBytes, DefaultMaxBytes)
	o.Version = cmp.Or(o.Version, buildVersion())
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	at := st.At
	if at.IsZero() {
		at = time.Now()
	}
	member, err := encodeOnce(o, st, at)
	if err != nil {
		return fmt.Errorf("recording: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- appendRound(o, at, member) }()
	select {
	case err := <-done:
		return err
	case <-time.After(closeWait):
		return fmt.Errorf("recording: the disk took more than %s to take the round: it is lost", closeWait)
	}
}

// encodeOnce is st as a gzip member of its own: a header and a full frame.
func encodeOnce(o Options, st runbook.State, at time.Time) ([]byte, error) {
	doc, err := runbook.MarshalState(st)
	var parts tree
	if err == nil {
		parts, err = cut(doc)
	}
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	h := Header{Format: Format, Env: o.Env, Process: o.Process, Host: host, PID: os.Getpid(), Version: o.Version,
		Session: host + "-" + o.Process, Started: at}
	var b bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
	for _, v := range []any{h, frame{At: st.At, Full: true, Parts: parts}} {
		line, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		_, _ = gz.Write(append(line, '\n'))
	}
	_ = gz.Close()
	return b.Bytes(), nil
}

// appendRound appends member to the day's segment of at, then keeps the
// directory within o.MaxBytes.
func appendRound(o Options, at time.Time, member []byte) error {
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return fmt.Errorf("recording: %w", err)
	}
	day := at.UTC().Truncate(24 * time.Hour)
	name := segmentName(day, o.Process, 0, 0)
	path := filepath.Join(o.Dir, name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("recording: %w", err)
	}
	_, err = f.Write(member)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("recording: writing %s: %w", path, err)
	}
	prune(o.Dir, o.MaxBytes, name, o.Logger)
	return nil
}
