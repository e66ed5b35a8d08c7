package sharedlog

import (
	"net"
	"strings"
	"testing"

	"github.com/openagents/cockpit/internal/testsvc"
)

// status's word on the shared timeline: off without a database, can
// publish on a current schema, and otherwise why not, with the database's
// answer in full and the URL's password never in it.
func TestCheckPublishable(t *testing.T) {
	if got := CheckPublishable(t.Context(), ""); got != (Publishable{Status: "off: no shared timeline database configured"}) {
		t.Errorf("no database: %+v", got)
	}
	current, _ := migrated(t)
	if got := CheckPublishable(t.Context(), current); got != (Publishable{Status: "can publish"}) {
		t.Errorf("a migrated timeline its owner logs in to: %+v", got)
	}
	empty := testsvc.Postgres(t)
	if got := CheckPublishable(t.Context(), empty); got.Status != "not published: schema missing or too old" || got.Detail == "" {
		t.Errorf("a database never migrated: %+v", got)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // nothing listens there now: refused
	got := CheckPublishable(t.Context(), "postgres://op:hunter2secret@"+addr+"/db?sslmode=disable&connect_timeout=2")
	if got.Status != "not published: database unavailable" || got.Detail == "" || strings.Contains(got.Detail, "hunter2secret") {
		t.Errorf("a database that refuses: %+v", got)
	}
}
