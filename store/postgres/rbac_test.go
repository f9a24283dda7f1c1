package postgres_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard/rbac"
	"github.com/switchboard-dev/switchboard/store/postgres/pgtest"
	"github.com/switchboard-dev/switchboard/store/storetest"
)

func TestConformanceRBAC(t *testing.T) {
	t.Parallel()
	pgtest.SkipUnlessSet(t)
	storetest.RunRBAC(t, func(t *testing.T) rbac.Store {
		return open(t, pgtest.URL(t))
	})
}

func TestConformanceRBACFeed(t *testing.T) {
	t.Parallel()
	pgtest.SkipUnlessSet(t)
	storetest.RunRBACFeed(t, func(t *testing.T) (rbac.Store, storetest.Feed) {
		db := open(t, pgtest.URL(t))
		return db, feed(db)
	})
}

// TestMigrateRBACKeepsChanges migrates a schema written at version 1 and
// checks that the change feed keeps its rows and ids and still refuses
// unknown kinds.
func TestMigrateRBACKeepsChanges(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgtest.URL(t)
	v1, err := os.ReadFile("migrations/0001_init.sql")
	require.NoError(t, err)

	conn := connect(t, url)
	for _, stmt := range []string{
		string(v1),
		`CREATE TABLE schema_migrations (version bigint PRIMARY KEY,
			applied_at timestamptz NOT NULL)`,
		`INSERT INTO schema_migrations VALUES (1, now())`,
		`INSERT INTO changes (kind, subject, created_at) VALUES
			('installed', 'slack', now()), ('config', 'slack', now())`,
	} {
		_, err := conn.Exec(ctx, stmt)
		require.NoError(t, err)
	}

	db := open(t, url)
	cs, err := db.Changes(ctx, 0, 10)
	require.NoError(t, err)
	require.Len(t, cs, 2)
	require.Equal(t, []string{"installed", "config"}, []string{cs[0].Kind, cs[1].Kind})

	_, err = db.Assign(ctx, rbac.Assignment{Principal: "user:a", Role: rbac.AdminRole})
	require.NoError(t, err)
	last, err := db.LastChange(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(3), last)

	_, err = conn.Exec(ctx,
		`INSERT INTO changes (kind, subject, created_at) VALUES ('bogus', 'x', now())`)
	require.ErrorContains(t, err, "changes_kind_check")
}
