package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/openagents/cockpit/sandbox/dbfixtures"
)

// newDBFixturesCmd gives the DB role isolation check (P4) something real to
// verify: the four roles, the schemas and the grants, correct or broken.
func newDBFixturesCmd(ctx context.Context, s *Streams) *cobra.Command {
	var dbURL, variant string
	roles := dbfixtures.DefaultRoles()
	cmd := &cobra.Command{
		Use:   "db-fixtures --db-url URL --variant good|broken",
		Short: "Create the roles, schemas and grants of the DB role isolation policy in a real PostgreSQL",
		Long: `Create the roles, schemas and grants of the DB role isolation policy in a real PostgreSQL.

It runs only in a rehearsal database: an empty one (no schema but public, nothing
in public), which the first run marks (` + dbfixtures.MarkerTable + `), or one it marked
before. Any other database is refused with exit 4 and nothing changed. The role
names default to rehearsal_*; a production role name (oa_*) needs a database
marked by an earlier run, and a role that exists but was not created by a
fixture is never touched.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if dbURL == "" {
				return usageError("--db-url is required (postgres://user:pass@127.0.0.1:5432/db)")
			}
			v, err := dbfixtures.ParseVariant(variant)
			if err != nil {
				return withCode(exitUsage, err)
			}
			out, err := dbfixtures.ApplyOutcome(ctx, dbURL, roles, v)
			if errors.Is(err, dbfixtures.ErrRefused) {
				return withCode(exitUsage, err)
			}
			if err != nil {
				return withCode(exitActionFailed, fmt.Errorf("applying db fixtures: %w", err))
			}
			if out.Marked {
				fmt.Fprintf(s.Out, "database %s was empty: marked as a cockpit rehearsal database (%s)\n", out.Database, dbfixtures.MarkerTable)
			}
			fmt.Fprintf(s.Out, "db fixtures applied: variant=%s owner=%s runtime_rw=%s khala_ro=%s control_rw=%s\n",
				v, roles.Owner, roles.RuntimeRW, roles.KhalaRO, roles.ControlRW)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dbURL, "db-url", "", "PostgreSQL URL of a role allowed to create roles and schemas")
	f.StringVar(&variant, "variant", "good", "good, broken, or one violation (see the error for the list)")
	f.StringVar(&roles.Owner, "owner-role", roles.Owner, "schema owner role")
	f.StringVar(&roles.RuntimeRW, "runtime-rw-role", roles.RuntimeRW, "runtime read-write role")
	f.StringVar(&roles.KhalaRO, "khala-ro-role", roles.KhalaRO, "khala read-only role")
	f.StringVar(&roles.ControlRW, "control-rw-role", roles.ControlRW, "control read-write role")
	return cmd
}
