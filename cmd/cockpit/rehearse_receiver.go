package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/openagents/cockpit/internal/safetext"
)

// receiverMaxBody bounds one message the receiver reads.
const receiverMaxBody = 64 << 10

// newRehearseReceiverCmd is a local webhook receiver for rehearsals: point
// a notify: target at it and it prints every message it gets, one line
// each, until interrupted. What the bridge channel would see, in a terminal.
func newRehearseReceiverCmd(ctx context.Context, s *Streams) *cobra.Command {
	var addr string
	c := &cobra.Command{
		Use:   "receiver [--addr 127.0.0.1:9099]",
		Short: "A local webhook receiver that prints what the cockpit's notifications send",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return withCode(exitUsage, fmt.Errorf("receiver: %w", err))
			}
			fmt.Fprintf(s.Out, "listening: http://%s/ (use it as a notify target's url)\n", ln.Addr())
			var mu sync.Mutex
			srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, err := io.ReadAll(io.LimitReader(r.Body, receiverMaxBody))
				if err != nil {
					http.Error(w, "reading the message", http.StatusBadRequest)
					return
				}
				mu.Lock()
				fmt.Fprintf(s.Out, "%s %s %s\n", time.Now().Format("15:04:05"), safetext.Clean(r.URL.Path), safetext.Clean(messageText(body)))
				mu.Unlock()
			})}
			go func() {
				<-ctx.Done()
				shutdown, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				_ = srv.Shutdown(shutdown)
			}()
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	c.Flags().StringVar(&addr, "addr", "127.0.0.1:9099", "address to listen on")
	return c
}

// messageText is what a person reads of a message: its "text" (both the
// Slack and the JSON bodies carry one), else the body as it came.
func messageText(body []byte) string {
	var m struct {
		Text string `json:"text"`
	}
	if json.Unmarshal(body, &m) == nil && m.Text != "" {
		return m.Text
	}
	return string(body)
}
