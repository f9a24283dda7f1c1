package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard/store/sqlite"
	"github.com/switchboard-dev/switchboard/store/storetest"
)

// open opens the store at path and closes it when tb ends.
func open(tb testing.TB, path string) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(tb.Context(), sqlite.Config{Path: path})
	require.NoError(tb, err)
	tb.Cleanup(func() { require.NoError(tb, db.Close()) })
	return db
}

func tempPath(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(tb.TempDir(), "switchboard.db")
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) storetest.Store {
		return open(t, tempPath(t))
	})
}

func TestConformanceShared(t *testing.T) {
	t.Parallel()
	storetest.RunShared(t, func(t *testing.T) (storetest.Store, storetest.Store) {
		path := tempPath(t)
		return open(t, path), open(t, path)
	})
}

func TestConformanceFeed(t *testing.T) {
	t.Parallel()
	storetest.RunFeed(t, func(t *testing.T) (storetest.Store, storetest.Feed) {
		db := open(t, tempPath(t))
		return db, feed(db)
	})
}

func TestConformanceUnstamped(t *testing.T) {
	t.Parallel()
	storetest.RunUnstamped(t, func(t *testing.T) (storetest.Store, storetest.Unstamp) {
		path := tempPath(t)
		return open(t, path), func(t *testing.T) {
			raw, err := sql.Open("sqlite", path)
			require.NoError(t, err)
			defer raw.Close()
			_, err = raw.ExecContext(t.Context(), `UPDATE installed SET action_since = NULL`)
			require.NoError(t, err)
		}
	})
}

// feed adapts db's change feed to the suite's.
func feed(db *sqlite.DB) storetest.Feed {
	return func(ctx context.Context, after int64, limit int) ([]storetest.Change, error) {
		cs, err := db.Changes(ctx, after, limit)
		out := make([]storetest.Change, len(cs))
		for i, c := range cs {
			out[i] = storetest.Change(c)
		}
		return out, err
	}
}

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, open(b, tempPath(b)))
}
