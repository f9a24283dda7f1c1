package sqlite_test

import (
	"database/sql"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard/rbac"
	"github.com/switchboard-dev/switchboard/store/storetest"
)

func TestConformanceRBAC(t *testing.T) {
	t.Parallel()
	storetest.RunRBAC(t, func(t *testing.T) rbac.Store {
		return open(t, tempPath(t))
	})
}

func TestConformanceRBACFeed(t *testing.T) {
	t.Parallel()
	storetest.RunRBACFeed(t, func(t *testing.T) (rbac.Store, storetest.Feed) {
		db := open(t, tempPath(t))
		return db, feed(db)
	})
}

// TestMigrateRBACKeepsChanges migrates a file written at version 1 and
// checks that the rebuilt change feed keeps its rows, never gives an id
// twice, and still refuses unknown kinds.
func TestMigrateRBACKeepsChanges(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := tempPath(t)
	v1, err := os.ReadFile("migrations/0001_init.sql")
	require.NoError(t, err)

	raw, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer raw.Close()
	for _, stmt := range []string{
		string(v1),
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,
			applied_at INTEGER NOT NULL) STRICT`,
		`INSERT INTO schema_migrations VALUES (1, 0)`,
		`INSERT INTO changes (kind, subject, created_at) VALUES
			('installed', 'slack', 1), ('config', 'slack', 2), ('secret', 'p/T', 3)`,
		// The newest change is gone; its id must not come back.
		`DELETE FROM changes WHERE id = 3`,
	} {
		_, err := raw.ExecContext(ctx, stmt)
		require.NoError(t, err)
	}

	db := open(t, path)
	cs, err := db.Changes(ctx, 0, 10)
	require.NoError(t, err)
	require.Len(t, cs, 2)
	require.Equal(t, []string{"installed", "config"}, []string{cs[0].Kind, cs[1].Kind})
	require.Equal(t, int64(2), cs[1].ID)

	_, err = db.Assign(ctx, rbac.Assignment{Principal: "user:a", Role: rbac.AdminRole})
	require.NoError(t, err)
	last, err := db.LastChange(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(4), last, "the id after the deleted one")

	_, err = raw.ExecContext(ctx,
		`INSERT INTO changes (kind, subject, created_at) VALUES ('bogus', 'x', 1)`)
	require.ErrorContains(t, err, "CHECK constraint failed")
}
