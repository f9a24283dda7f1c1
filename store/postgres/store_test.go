package postgres_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard/store/postgres"
	"github.com/switchboard-dev/switchboard/store/postgres/pgtest"
	"github.com/switchboard-dev/switchboard/store/storetest"
)

// open opens a store on url and closes it when tb ends.
func open(tb testing.TB, url string) *postgres.DB {
	tb.Helper()
	db, err := postgres.Open(tb.Context(), postgres.Config{URL: url, MaxConns: 4})
	require.NoError(tb, err)
	tb.Cleanup(func() { require.NoError(tb, db.Close()) })
	return db
}

func TestConformance(t *testing.T) {
	t.Parallel()
	pgtest.SkipUnlessSet(t)
	storetest.Run(t, func(t *testing.T) storetest.Store {
		return open(t, pgtest.URL(t))
	})
}

func TestConformanceShared(t *testing.T) {
	t.Parallel()
	pgtest.SkipUnlessSet(t)
	storetest.RunShared(t, func(t *testing.T) (storetest.Store, storetest.Store) {
		url := pgtest.URL(t)
		return open(t, url), open(t, url)
	})
}

func TestConformanceFeed(t *testing.T) {
	t.Parallel()
	pgtest.SkipUnlessSet(t)
	storetest.RunFeed(t, func(t *testing.T) (storetest.Store, storetest.Feed) {
		db := open(t, pgtest.URL(t))
		return db, feed(db)
	})
}

func TestConformanceUnstamped(t *testing.T) {
	t.Parallel()
	pgtest.SkipUnlessSet(t)
	storetest.RunUnstamped(t, func(t *testing.T) (storetest.Store, storetest.Unstamp) {
		url := pgtest.URL(t)
		return open(t, url), func(t *testing.T) {
			_, err := connect(t, url).Exec(t.Context(),
				`UPDATE installed SET action_since = NULL`)
			require.NoError(t, err)
		}
	})
}

// feed adapts db's change feed to the suite's.
func feed(db *postgres.DB) storetest.Feed {
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
	storetest.Bench(b, open(b, pgtest.URL(b)))
}
