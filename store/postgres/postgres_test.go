package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard/store/postgres"
	"github.com/switchboard-dev/switchboard/store/postgres/pgtest"
)

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	const password = "hunter2-not-shown"
	tests := []struct {
		name string
		cfg  postgres.Config
	}{
		{"no url", postgres.Config{}},
		{"negative max conns", postgres.Config{URL: "postgres://127.0.0.1/x", MaxConns: -1}},
		{"malformed url", postgres.Config{URL: "postgres://u:" + password + "@127.0.0.1:port/x"}},
		// Port 1 of loopback: nothing listens there.
		{"unreachable", postgres.Config{
			URL: "postgres://u:" + password + "@127.0.0.1:1/x?connect_timeout=5",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db, err := postgres.Open(t.Context(), tt.cfg)
			require.Error(t, err)
			require.Nil(t, db)
			require.NotContains(t, err.Error(), password)
		})
	}
}

func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)

	// Replicas starting at once on a fresh schema.
	const replicas = 4
	dbs := make(chan *postgres.DB, replicas)
	errs := make(chan error, replicas)
	for range replicas {
		go func() {
			db, err := postgres.Open(t.Context(), postgres.Config{URL: url, MaxConns: 2})
			errs <- err
			dbs <- db
		}()
	}
	for range replicas {
		require.NoError(t, <-errs)
		db := <-dbs
		t.Cleanup(func() { require.NoError(t, db.Close()) })
		ok, err := db.MigrationsCurrent(t.Context())
		require.NoError(t, err)
		require.True(t, ok)
	}

	conn := connect(t, url)
	var n int
	err := conn.QueryRow(t.Context(), `SELECT count(*) FROM schema_migrations`).Scan(&n)
	require.NoError(t, err)
	require.Equal(t, migrationFiles(t), n, "one row per migration file")
}

func TestMigrationsCurrent(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgtest.URL(t)
	db := open(t, url)
	require.NoError(t, db.Ping(ctx))
	require.NoError(t, db.Migrate(ctx), "idempotent")

	conn := connect(t, url)
	_, err := conn.Exec(ctx, `INSERT INTO schema_migrations VALUES (9999, now())`)
	require.NoError(t, err)
	ok, err := db.MigrationsCurrent(ctx)
	require.NoError(t, err)
	require.True(t, ok, "a version from a newer binary")

	_, err = conn.Exec(ctx, `DELETE FROM schema_migrations WHERE version = 1`)
	require.NoError(t, err)
	ok, err = db.MigrationsCurrent(ctx)
	require.NoError(t, err)
	require.False(t, ok)
}

func TestNotify(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	db := open(t, url)
	conn := connect(t, url)
	_, err := conn.Exec(t.Context(), "LISTEN "+postgres.NotifyChannel)
	require.NoError(t, err)

	require.NoError(t, db.PutSecret(t.Context(), "platform", "TOKEN", []byte("sealed")))
	last, err := db.LastChange(t.Context())
	require.NoError(t, err)

	// The deadline only bounds a broken test; delivery is at commit. The
	// channel is the database's: tests on other schemas notify on it too.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	want := strconv.FormatInt(last, 10)
	for {
		n, err := conn.WaitForNotification(ctx)
		require.NoError(t, err)
		require.NotContains(t, n.Payload, "sealed")
		if n.Payload == want {
			return
		}
	}
}

// TestFeedMissesNothing has a reader page through the feed while writers on
// two pools add to it: ids commit in order, so the reader sees every one.
func TestFeedMissesNothing(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	a, b := open(t, url), open(t, url)

	const writers, n = 8, 25
	errs := make(chan error, writers)
	for w := range writers {
		db := []*postgres.DB{a, b}[w%2]
		go func() {
			var err error
			for i := range n {
				err = errors.Join(err, db.PutSecret(context.Background(),
					fmt.Sprint("w", w), strconv.Itoa(i), []byte("sealed")))
			}
			errs <- err
		}()
	}

	var seen []int64
	after, finished := int64(0), 0
	for {
		// Writers that finished before this read are in it.
		finished += drain(t, errs)
		page, err := a.Changes(t.Context(), after, 7)
		require.NoError(t, err)
		for _, c := range page {
			seen = append(seen, c.ID)
			after = c.ID
		}
		if finished == writers && len(page) == 0 {
			break
		}
	}

	all, err := b.Changes(t.Context(), 0, 2*writers*n)
	require.NoError(t, err)
	require.Len(t, all, writers*n)
	ids := make([]int64, len(all))
	for i, c := range all {
		ids[i] = c.ID
	}
	require.True(t, slices.IsSorted(seen))
	require.Equal(t, ids, seen)
}

// drain returns how many writers have finished since the last call, failing
// t if one failed.
func drain(t *testing.T, errs chan error) int {
	t.Helper()
	done := 0
	for {
		select {
		case err := <-errs:
			require.NoError(t, err)
			done++
		default:
			return done
		}
	}
}

// connect opens a plain connection on url, closed when t ends.
func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, conn.Close(context.Background())) })
	return conn
}

// migrationFiles counts the migrations embedded in this store.
func migrationFiles(t *testing.T) int {
	t.Helper()
	files, err := filepath.Glob("migrations/*.sql")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return len(files)
}
