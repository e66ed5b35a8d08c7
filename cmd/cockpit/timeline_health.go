package main

import (
	"context"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/internal/safetext"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/runbook"
	"github.com/openagents/cockpit/sharedlog"
)

// timelineReport is status's word on the shared timeline.
type timelineReport struct {
	// Status is "can publish", "not published: <reason>" (permission
	// denied, schema missing or too old, database unavailable) or "off: …".
	Status string `json:"status"`
	// Detail is the database's answer in full (secrets redacted), or "".
	Detail string `json:"detail,omitempty"`
}

// timelineStatus checks, as a publishing cockpit would when it starts,
// that env's shared timeline has this cockpit's schema and that the
// config's role may publish to it. It writes nothing.
func timelineStatus(ctx context.Context, env *config.Environment) timelineReport {
	url := runbook.SharedTimelineURL(env)
	if url == "" {
		return timelineReport{Status: "off: no shared timeline database configured"}
	}
	err := sharedlog.CheckAccessAt(ctx, url, sharedlog.Publish)
	if err == nil {
		return timelineReport{Status: "can publish"}
	}
	return timelineReport{Status: "not published: " + sharedlog.Reason(err),
		Detail: safetext.Clean(journal.Redact(err.Error(), url))}
}

// orNothing is prefix+s, or "" when s is empty.
func orNothing(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}
