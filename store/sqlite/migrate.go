package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"log/slog"

	"github.com/switchboard-dev/switchboard/internal/logkey"
	"github.com/switchboard-dev/switchboard/store/internal/migration"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrate applies every embedded migration the file lacks, each in its own
// transaction, in order of version. It is idempotent, and safe while other
// processes open or migrate the same file: they wait for one another's
// write lock.
func (db *DB) Migrate(ctx context.Context) error {
	ms, err := migration.Load(migrationFiles, "migrations")
	if err != nil {
		return err
	}

	// The common case, nothing to do, takes no write lock.
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

// apply runs m unless another process has run it already.
func (db *DB) apply(ctx context.Context, m migration.Migration) error {
	op := "migrate " + m.Name
	applied := false
	err := db.inTx(ctx, op, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, qCreateMigrations); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		var n int
		if err := tx.QueryRowContext(ctx, qMigrationApplied, m.Version).Scan(&n); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		if n > 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		_, err := tx.ExecContext(ctx, qInsertMigration, m.Version, micros(db.now()))
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		applied = true
		return nil
	})
	if err == nil && applied {
		db.log.InfoContext(ctx, "migration applied",
			slog.String(logkey.Store, "sqlite"),
			slog.Int64(logkey.Version, m.Version),
			slog.String(logkey.File, m.Name))
	}
	return err
}

// MigrationsCurrent reports whether every migration this binary embeds has
// been applied, for a readiness check. A file that a newer binary migrated
// further is current too.
func (db *DB) MigrationsCurrent(ctx context.Context) (bool, error) {
	ms, err := migration.Load(migrationFiles, "migrations")
	if err != nil {
		return false, err
	}

	var n int
	if err := db.read.QueryRowContext(ctx, qMigrationsTable).Scan(&n); err != nil {
		return false, fmt.Errorf("check migrations: %w", err)
	}
	if n == 0 {
		return false, nil
	}
	applied, err := db.appliedVersions(ctx)
	if err != nil {
		return false, err
	}
	return migration.Current(ms, applied), nil
}

func (db *DB) appliedVersions(ctx context.Context) (map[int64]bool, error) {
	rows, err := db.read.QueryContext(ctx, qAppliedVersions)
	if err != nil {
		return nil, fmt.Errorf("check migrations: %w", err)
	}
	defer rows.Close()

	applied := map[int64]bool{}
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("check migrations: %w", err)
		}
		applied[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("check migrations: %w", err)
	}
	return applied, nil
}
