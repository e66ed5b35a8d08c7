package sharedlog

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// connectTimeout bounds connecting to check the shared timeline (its
// schema version, its grants); a migration bounds itself.
const connectTimeout = 10 * time.Second

// VersionAt is the schema version of the timeline at url (0: none yet).
func VersionAt(ctx context.Context, url string) (v int64, err error) {
	err = withConn(ctx, url, func(ctx context.Context, conn *pgx.Conn) error {
		v, err = SchemaVersion(ctx, conn)
		return err
	})
	return v, err
}

// CheckAccessAt is CheckAccess on a connection of its own to url: nil when
// the schema is current and the role may do what access needs.
func CheckAccessAt(ctx context.Context, url string, access Access) error {
	return withConn(ctx, url, func(ctx context.Context, conn *pgx.Conn) error {
		return CheckAccess(ctx, conn, access)
	})
}

// withConn runs fn on a connection to url, all within connectTimeout.
func withConn(ctx context.Context, url string, fn func(context.Context, *pgx.Conn) error) error {
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("connecting to the shared timeline: %w", err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	return fn(ctx, conn)
}
