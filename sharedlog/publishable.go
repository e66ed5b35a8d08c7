package sharedlog

import (
	"context"

	"github.com/openagents/cockpit/internal/safetext"
	"github.com/openagents/cockpit/journal"
)

// Publishable is whether a config's role can publish to a shared timeline,
// as `cockpit status` reports it: a cockpit that cannot says so before
// anyone relies on it.
type Publishable struct {
	// Status is "can publish", "not published: <reason>" (permission
	// denied, schema missing or too old, database unavailable) or "off: …".
	Status string `json:"status"`
	// Detail is the database's answer in full (secrets redacted), or "".
	Detail string `json:"detail,omitempty"`
}

// CheckPublishable checks, as a publishing cockpit would when it starts,
// that the shared timeline at url has this cockpit's schema and that the
// role url logs in as may publish to it; "" is no timeline (off). It
// writes nothing.
func CheckPublishable(ctx context.Context, url string) Publishable {
	if url == "" {
		return Publishable{Status: "off: no shared timeline database configured"}
	}
	err := CheckAccessAt(ctx, url, Publish)
	if err == nil {
		return Publishable{Status: "can publish"}
	}
	return Publishable{Status: "not published: " + Reason(err),
		Detail: safetext.Clean(journal.Redact(err.Error(), url))}
}
