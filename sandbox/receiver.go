package sandbox

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

	"github.com/openagents/cockpit/internal/safetext"
)

// receiverMaxBody bounds one message the receiver reads.
const receiverMaxBody = 64 << 10

// Receive is a local webhook receiver for rehearsals: point a notify:
// target at ln and it prints every message it gets to out, one clean line
// each ("15:04:05 /path text"), until ctx ends. What the bridge channel
// would see, in a terminal.
func Receive(ctx context.Context, ln net.Listener, out io.Writer) error {
	var mu sync.Mutex
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, receiverMaxBody))
		if err != nil {
			http.Error(w, "reading the message", http.StatusBadRequest)
			return
		}
		mu.Lock()
		fmt.Fprintf(out, "%s %s %s\n", time.Now().Format("15:04:05"), safetext.Clean(r.URL.Path), safetext.Clean(messageText(body)))
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
