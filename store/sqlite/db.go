package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

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

// busyTimeout is how long a connection waits for a lock another connection
// or process holds before it gives up with SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// Config says which file to open. Path is required; the zero value of every
// other field works.
type Config struct {
	// Path is the database file. It is created, mode 0600, when absent; its
	// directory must exist.
	Path string
	// Logger receives lifecycle events such as applied migrations; nil
	// discards them.
	Logger *slog.Logger
	// Now is the clock that stamps changes and migrations; nil is time.Now.
	Now func() time.Time
}

// DB is an open SQLite store. It is safe for concurrent use, and other
// processes may have the same file open.
type DB struct {
	write *sql.DB // one connection; every transaction BEGIN IMMEDIATE
	read  *sql.DB // query-only connections
	hot   hotReads
	log   *slog.Logger
	now   func() time.Time
}

// hotReads are the reads of every call, prepared once: parsing their SQL
// anew each time costs more than running them.
type hotReads struct {
	apiKeyByHash *sql.Stmt
	secret       *sql.Stmt
	lastChange   *sql.Stmt
}

func (db *DB) prepare(ctx context.Context) error {
	var err error
	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = db.read.PrepareContext(ctx, q)
		return st
	}
	db.hot = hotReads{
		apiKeyByHash: prep(qAPIKeyByHash),
		secret:       prep(qSecret),
		lastChange:   prep(qLastChange),
	}
	if err != nil {
		return fmt.Errorf("prepare sqlite queries: %w", err)
	}
	return nil
}

func (h hotReads) close() error {
	var errs []error
	for _, st := range []*sql.Stmt{h.apiKeyByHash, h.secret, h.lastChange} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}

// Open opens the database file of cfg, creating it when absent, and applies
// any pending migration. The caller must Close the returned DB.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if cfg.Path == "" {
		return nil, errors.New("open sqlite store: path is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	path, err := filepath.Abs(cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("open sqlite store: %w", err)
	}
	if err := createFile(path); err != nil {
		return nil, err
	}

	db, err := openPools(path)
	if err != nil {
		return nil, err
	}
	db.log, db.now = cfg.Logger, cfg.Now

	if err := db.Ping(ctx); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	if err := db.Migrate(ctx); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	if err := db.prepare(ctx); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return db, nil
}

// createFile creates path with mode 0600 unless it exists, so that the
// driver never creates it with the process's default mode.
func createFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create sqlite store: %w", err)
	}
	return f.Close()
}

// openPools opens the writer and the reader pools; neither connects yet.
// The writer's first connection switches the file to WAL.
func openPools(path string) (*DB, error) {
	timeout := fmt.Sprint(busyTimeout.Milliseconds())
	w, err := sql.Open("sqlite", dsn(path, url.Values{
		"_busy_timeout": {timeout},
		"_journal_mode": {"WAL"},
		"_synchronous":  {"FULL"},
		"_foreign_keys": {"1"},
		"_txlock":       {"immediate"},
	}))
	if err != nil {
		return nil, fmt.Errorf("open sqlite store: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)

	r, err := sql.Open("sqlite", dsn(path, url.Values{
		"_busy_timeout": {timeout},
		"_query_only":   {"1"},
	}))
	if err != nil {
		return nil, errors.Join(fmt.Errorf("open sqlite store: %w", err), w.Close())
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	return &DB{write: w, read: r}, nil
}

// dsn returns a file: URI for path, escaped so that any file name works.
func dsn(path string, params url.Values) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: params.Encode()}
	return u.String()
}

// Ping checks that both pools reach the file.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.write.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite store: %w", err)
	}
	if err := db.read.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite store: %w", err)
	}
	return nil
}

// Close closes both pools; calls in flight finish first. The last process
// to close the file folds the write-ahead log into it.
func (db *DB) Close() error {
	return errors.Join(db.hot.close(), db.read.Close(), db.write.Close())
}

// inTx runs fn in one write transaction and commits when it returns nil. The
// transaction holds the write lock from its start (BEGIN IMMEDIATE), so fn
// must not wait on another write through db.
func (db *DB) inTx(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: begin: %w", op, err)
	}
	defer func() { _ = tx.Rollback() }()

	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", op, err)
	}
	return nil
}

// translate turns a driver error into the store's own: no row becomes
// not_found and a unique violation conflict, both naming what; anything
// else is wrapped with op. Messages name rows by their keys only, never by
// a stored value.
func translate(err error, op, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(what)
	}
	if e, ok := errors.AsType[*sqlite.Error](err); ok {
		switch e.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return switchboard.Errorf(switchboard.CodeConflict, "%s exists already", what)
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// isForeignKey reports whether err is a foreign key violation: a row that
// names another that does not exist, which the caller turns into its own
// not_found.
func isForeignKey(err error) bool {
	e, ok := errors.AsType[*sqlite.Error](err)
	return ok && e.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// notFound is the error of a method that finds no what.
func notFound(what string) error {
	return switchboard.Errorf(switchboard.CodeNotFound, "%s not found", what)
}

// micros is how a time is stored: microseconds since the Unix epoch.
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros is the stored form back as a UTC time.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// blob keeps a nil slice from being stored as NULL.
func blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
