package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard/store/sqlite"
)

func TestFileMode(t *testing.T) {
	t.Parallel()
	path := tempPath(t)
	db := open(t, path)
	require.NoError(t, db.PutSecret(t.Context(), "platform", "TOKEN", []byte("sealed")))

	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(name)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), name)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		path string
	}{
		{"no path", ""},
		{"missing directory", filepath.Join(t.TempDir(), "absent", "switchboard.db")},
		{"a directory", t.TempDir()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db, err := sqlite.Open(t.Context(), sqlite.Config{Path: tt.path})
			require.Error(t, err)
			require.Nil(t, db)
		})
	}
}

func TestReopen(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := tempPath(t)
	db, err := sqlite.Open(ctx, sqlite.Config{Path: path})
	require.NoError(t, err)
	require.NoError(t, db.PutSecret(ctx, "platform", "TOKEN", []byte("sealed")))
	last, err := db.LastChange(ctx)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	db = open(t, path)
	got, err := db.Secret(ctx, "platform", "TOKEN")
	require.NoError(t, err)
	require.Equal(t, []byte("sealed"), got)
	again, err := db.LastChange(ctx)
	require.NoError(t, err)
	require.Equal(t, last, again)
}

func TestMigrations(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := tempPath(t)
	db := open(t, path)
	require.NoError(t, db.Ping(ctx))
	require.NoError(t, db.Migrate(ctx), "idempotent")
	requireCurrent(t, db, true)

	raw, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer raw.Close()
	var n int
	require.NoError(t, raw.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n))
	require.Equal(t, migrationFiles(t), n, "one row per migration file")

	// A version this binary does not know, from a newer one, is fine.
	_, err = raw.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (9999, 0)`)
	require.NoError(t, err)
	requireCurrent(t, db, true)

	_, err = raw.ExecContext(ctx, `DELETE FROM schema_migrations WHERE version = 1`)
	require.NoError(t, err)
	requireCurrent(t, db, false)
}

func requireCurrent(t *testing.T, db *sqlite.DB, want bool) {
	t.Helper()
	ok, err := db.MigrationsCurrent(t.Context())
	require.NoError(t, err)
	require.Equal(t, want, ok)
}

// writeMany makes n writes of each kind through db, tagged with who, and
// returns the first error.
func writeMany(db *sqlite.DB, who string, n int) error {
	for i := range n {
		ctx := context.Background()
		err := errors.Join(
			db.PutSecret(ctx, who, strconv.Itoa(i), []byte("sealed")),
			db.UpdateConfig(ctx, "counter", increment),
		)
		if err != nil {
			return fmt.Errorf("%s write %d: %w", who, i, err)
		}
	}
	return nil
}

func TestHandlesWriteConcurrently(t *testing.T) {
	t.Parallel()
	const handles, writers, n = 2, 4, 25
	path := tempPath(t)

	errs := make(chan error, handles*writers)
	for h := range handles {
		db := open(t, path)
		for w := range writers {
			go func() { errs <- writeMany(db, fmt.Sprintf("h%dw%d", h, w), n) }()
		}
	}
	for range handles * writers {
		require.NoError(t, <-errs) // never "database is locked"
	}
	requireWrites(t, open(t, path), handles*writers*n)
}

// requireWrites fails t unless db holds total increments of the counter
// and two changes for each.
func requireWrites(t *testing.T, db *sqlite.DB, total int) {
	t.Helper()
	cfgs, err := db.Configs(t.Context())
	require.NoError(t, err)
	require.JSONEq(t, fmt.Sprintf(`{"n":%d}`, total), string(cfgs["counter"]))
	last, err := db.LastChange(t.Context())
	require.NoError(t, err)
	require.Equal(t, int64(2*total), last)
}

// childEnv, when set, makes TestProcessesShareFile a child process
// writing to the file it names.
const childEnv = "SWITCHBOARD_SQLITE_TEST_CHILD"

// TestProcessesShareFile writes from three processes at once, as a server,
// a CLI command and a stdio MCP server on one file would.
func TestProcessesShareFile(t *testing.T) {
	const children, n = 2, 25
	if path := os.Getenv(childEnv); path != "" {
		db := open(t, path)
		require.NoError(t, writeMany(db, "child"+strconv.Itoa(os.Getpid()), n))
		return
	}
	t.Parallel()
	path := tempPath(t)

	done := make(chan error, children)
	for range children {
		cmd := exec.CommandContext(t.Context(), os.Args[0],
			"-test.run=^TestProcessesShareFile$", "-test.count=1")
		cmd.Env = append(os.Environ(), childEnv+"="+path)
		go func() {
			out, err := cmd.CombinedOutput()
			if err != nil {
				err = fmt.Errorf("child: %w\n%s", err, out)
			}
			done <- err
		}()
	}
	db := open(t, path)
	require.NoError(t, writeMany(db, "parent", n))
	for range children {
		require.NoError(t, <-done)
	}
	requireWrites(t, db, (children+1)*n)
}

// increment adds one to the counter "n" of a config.
func increment(cur json.RawMessage) (json.RawMessage, error) {
	var c struct{ N int }
	if err := json.Unmarshal(cur, &c); err != nil {
		return nil, err
	}
	return json.RawMessage(fmt.Sprintf(`{"n":%d}`, c.N+1)), nil
}

func TestMigrationLogged(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	path := tempPath(t)

	db, err := sqlite.Open(t.Context(), sqlite.Config{Path: path, Logger: log})
	require.NoError(t, err)
	require.NoError(t, db.Close())
	require.Contains(t, buf.String(), `"msg":"migration applied","store":"sqlite","version":1`)

	buf.Reset()
	db, err = sqlite.Open(t.Context(), sqlite.Config{Path: path, Logger: log})
	require.NoError(t, err)
	require.NoError(t, db.Close())
	require.Empty(t, buf.String(), "nothing to apply, nothing logged")
}

// migrationFiles counts the migrations embedded in this store.
func migrationFiles(t *testing.T) int {
	t.Helper()
	files, err := filepath.Glob("migrations/*.sql")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return len(files)
}
