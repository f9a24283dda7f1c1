// Package sqlite is Switchboard's embedded store: one SQLite file, through
// the pure-Go driver modernc.org/sqlite. It implements registry.Store,
// vault.Store and identity.Store.
//
// # Connections
//
// A [DB] holds two pools on the file. Writes go through a single connection
// whose transactions begin IMMEDIATE, so a write transaction holds the
// database's write lock from its first statement and never fails half-way
// for want of it. Reads go through a separate pool of query-only connections
// and, the journal being in WAL mode, never wait for the writer. Several
// processes may open one file at once (a server, a CLI command, a stdio MCP
// server): they queue for the write lock under a busy timeout of ten
// seconds. Commits are synchronous=FULL, so a write that returned survives a
// power cut.
//
// # Data
//
// The file is created with mode 0600. Times are kept as integers,
// microseconds since the Unix epoch, and come back in UTC truncated to the
// microsecond, as the PostgreSQL store does. Every method that changes
// something records a [Change] in the same transaction.
//
// # Schema
//
// The schema is created and upgraded by numbered migrations embedded in the
// binary and listed in the table schema_migrations; [Open] applies the
// missing ones.
package sqlite
