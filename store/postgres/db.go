package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/identity"
	"github.com/switchboard-dev/switchboard/registry"
	"github.com/switchboard-dev/switchboard/vault"
)

var (
	_ registry.Store = (*DB)(nil)
	_ vault.Store    = (*DB)(nil)
	_ identity.Store = (*DB)(nil)
)

// NotifyChannel is the channel on which every change's id is announced,
// as text, when its transaction commits.
const NotifyChannel = "switchboard_changes"

// Config says which database to use. URL is required; the zero value of
// every other field works.
type Config struct {
	// URL is a PostgreSQL connection string, URL or keyword/value form, as
	// pgx reads it. A search_path parameter picks the schema.
	URL string
	// MaxConns caps the pool; 0 keeps pgx's default (the greater of 4 and
	// the number of CPUs).
	MaxConns int32
	// Logger receives lifecycle events such as applied migrations; nil
	// discards them. The URL is never logged.
	Logger *slog.Logger
	// Now is the clock that stamps changes and migrations; nil is time.Now.
	Now func() time.Time
}

// DB is an open PostgreSQL store, safe for concurrent use by any number of
// goroutines and replicas.
type DB struct {
	pool *pgxpool.Pool
	log  *slog.Logger
	now  func() time.Time
}

// Open connects to cfg.URL, checks the connection and applies any pending
// migration. The caller must Close the returned DB. Errors never repeat the
// URL, which may hold a password.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if cfg.URL == "" {
		return nil, errors.New("open postgres store: url is required")
	}
	if cfg.MaxConns < 0 {
		return nil, errors.New("open postgres store: max conns must not be negative")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}

	pc, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		// pgx's parse errors redact the password.
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	if cfg.MaxConns > 0 {
		pc.MaxConns = cfg.MaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("open postgres store: %w", err)
	}

	db := &DB{pool: pool, log: cfg.Logger, now: cfg.Now}
	if err := db.Ping(ctx); err != nil {
		db.pool.Close()
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.pool.Close()
		return nil, err
	}
	return db, nil
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping postgres store: %w", err)
	}
	return nil
}

// Close closes the pool once the connections in use are released. It
// always returns nil.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// inTx runs fn in one transaction and commits when it returns nil.
func (db *DB) inTx(ctx context.Context, op string, fn func(tx pgx.Tx) error) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return translate(err, op+": begin", "")
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()

	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return translate(err, op+": commit", "")
	}
	return nil
}

// translate turns a driver error into the store's own: no row becomes
// not_found and a unique violation conflict, both naming what; anything
// else is wrapped with op. A server error is reduced to its message and
// SQLSTATE: its detail may quote a row, and rows hold sealed values.
func translate(err error, op, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound(what)
	}
	if e, ok := errors.AsType[*pgconn.PgError](err); ok {
		if e.Code == "23505" { // unique_violation
			return switchboard.Errorf(switchboard.CodeConflict, "%s exists already", what)
		}
		return fmt.Errorf("%s: %s (SQLSTATE %s)", op, e.Message, e.Code)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// isForeignKey reports whether err is a foreign_key_violation: a row that
// names another that does not exist, which the caller turns into its own
// not_found.
func isForeignKey(err error) bool {
	e, ok := errors.AsType[*pgconn.PgError](err)
	return ok && e.Code == "23503" // foreign_key_violation
}

// notFound is the error of a method that finds no what.
func notFound(what string) error {
	return switchboard.Errorf(switchboard.CodeNotFound, "%s not found", what)
}

// utc is how a time is written: in UTC, to the microsecond, as timestamptz
// keeps it.
func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// blob keeps a nil slice from being stored as NULL.
func blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
