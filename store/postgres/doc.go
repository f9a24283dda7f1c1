// Package postgres is Switchboard's store for production and for several
// replicas: PostgreSQL through pgx/v5 and a pgxpool pool. It implements
// registry.Store, vault.Store and identity.Store.
//
// # Concurrency
//
// Every method runs in one transaction. [DB.UpdateConfig] and
// [DB.UpdateConfigWithSecrets] lock the config row, so concurrent updaters
// on any replica take turns, and the latter writes its secrets in the same
// transaction, in order of name. [DB.Install] takes a new Seq, and the
// stamp of the actions it adds, from a sequence while it holds a lock that
// makes installs take turns, so that stamps grow in commit order.
// [DB.RotateVault] locks every secret it rewraps.
//
// # Change feed
//
// Every method that changes something records a [Change] in the same
// transaction, as its last step, under a transaction-level advisory lock
// held to commit: changes therefore commit in the order of their ids, and a
// reader paging by id, or watching [DB.LastChange], misses none. The transaction
// also sends pg_notify on the channel [NotifyChannel] with the change's id,
// delivered at commit, for replicas that LISTEN. A notification is a hint
// to read the feed: the channel is the database's, so stores on other
// schemas of one database hear one another's.
//
// # Data
//
// Blobs are bytea, times timestamptz (kept to the microsecond and returned
// in UTC), plain config json (returned byte for byte). Text keys collate as
// "C", so listings sort bytewise whatever the database's locale.
//
// # Schema
//
// The schema is created and upgraded by numbered migrations embedded in the
// binary and listed in the table schema_migrations, in the first schema of
// the connection's search_path; [Open] applies the missing ones under an
// advisory lock, so replicas starting together are safe.
package postgres
