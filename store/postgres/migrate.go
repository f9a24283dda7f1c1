package postgres

import (
	"context"
	"embed"
	"log/slog"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-dev/switchboard/internal/logkey"
	"github.com/switchboard-dev/switchboard/store/internal/migration"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrateLockKey is the key of the advisory lock that serializes
// migrations between replicas ("swbdmigr").
const migrateLockKey int64 = 0x737762646d696772

// Migrate applies every embedded migration the schema lacks, each in its own
// transaction under a transaction-level advisory lock, in order of version.
// It is idempotent, and safe while other replicas migrate the same
// database: they take turns.
func (db *DB) Migrate(ctx context.Context) error {
	ms, err := migration.Load(migrationFiles, "migrations")
	if err != nil {
		return err
	}

	// The common case, nothing to do, takes no lock.
	if ok, err := db.MigrationsCurrent(ctx); err != nil || ok {
		return err
	}
	for _, m := range ms {
		if err := db.apply(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// apply runs m unless another replica has run it already.
func (db *DB) apply(ctx context.Context, m migration.Migration) error {
	op := "migrate " + m.Name
	applied := false
	err := db.inTx(ctx, op, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, qMigrateLock, migrateLockKey); err != nil {
			return translate(err, op, "migration")
		}
		if _, err := tx.Exec(ctx, qCreateMigrations); err != nil {
			return translate(err, op, "migration")
		}
		var done bool
		if err := tx.QueryRow(ctx, qMigrationApplied, m.Version).Scan(&done); err != nil {
			return translate(err, op, "migration")
		}
		if done {
			return nil
		}
		// No arguments: the simple protocol runs every statement of the file.
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return translate(err, op, "migration")
		}
		if _, err := tx.Exec(ctx, qInsertMigration, m.Version, utc(db.now())); err != nil {
			return translate(err, op, "migration")
		}
		applied = true
		return nil
	})
	if err == nil && applied {
		db.log.InfoContext(ctx, "migration applied",
			slog.String(logkey.Store, "postgres"),
			slog.Int64(logkey.Version, m.Version),
			slog.String(logkey.File, m.Name))
	}
	return err
}

// MigrationsCurrent reports whether every migration this binary embeds has
// been applied, for a readiness check. A schema that a newer binary migrated
// further is current too.
func (db *DB) MigrationsCurrent(ctx context.Context) (bool, error) {
	ms, err := migration.Load(migrationFiles, "migrations")
	if err != nil {
		return false, err
	}

	var exists bool
	if err := db.pool.QueryRow(ctx, qMigrationsTable).Scan(&exists); err != nil {
		return false, translate(err, "check migrations", "migration")
	}
	if !exists {
		return false, nil
	}
	rows, err := db.pool.Query(ctx, qAppliedVersions)
	if err != nil {
		return false, translate(err, "check migrations", "migration")
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return false, translate(err, "check migrations", "migration")
	}

	applied := make(map[int64]bool, len(versions))
	for _, v := range versions {
		applied[v] = true
	}
	return migration.Current(ms, applied), nil
}
