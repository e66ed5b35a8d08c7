// Package sharedlog is the team's shared timeline in PostgreSQL: every
// record of every cockpit's local journal, so an operator on another
// machine sees what was done, and the latest observed state of each
// environment.
//
// The local journal stays the first, fsynced write, and it is the outbox: a
// [Publisher] tails the journal file and copies each record into
// cockpit_journal, keyed by the journal's origin (a random id kept beside
// the file) and the record's place in it, so a record published twice is
// stored once. The database being down never blocks an action; the
// publisher retries with backoff and catches up in order. A [Subscriber]
// LISTENs and delivers the records of one environment in the timeline's
// order; [Read] returns a whole environment at once.
//
// # Grants
//
// [Migrate] runs as the migrating role, which owns the tables (`cockpit
// timeline migrate`): it needs CONNECT on the database and CREATE on the
// schema. The others never migrate: [CheckAccess] reads the schema version
// from the view cockpit_schema_version (open to every role) and checks the
// role's grants, and a cockpit publishes or follows only once it passes,
// saying why not meanwhile. They need no more than this (GRANTS.md has the
// statements):
//
//   - operating role (a cockpit that acts): SELECT, INSERT on
//     cockpit_journal; SELECT, INSERT, UPDATE on cockpit_observation. seq is
//     an identity column, so no sequence grant is needed.
//   - watcher role (a cockpit that only watches): SELECT on both tables.
//
// Neither needs UPDATE or DELETE on cockpit_journal: the timeline is
// append-only for everyone but its owner.
package sharedlog
