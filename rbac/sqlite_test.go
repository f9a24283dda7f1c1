package rbac_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard/rbac"
	"github.com/switchboard-dev/switchboard/store/sqlite"
)

// TestOnSQLite runs the Authorizer on the embedded store: what one
// Authorizer writes, another on the same file sees after Refresh, and a
// deleted role takes its grants with it.
func TestOnSQLite(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "sb.db")
	openStore := func() *sqlite.DB {
		db, err := sqlite.Open(ctx, sqlite.Config{Path: path})
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, db.Close()) })
		return db
	}
	mine, theirs := newAuthorizer(t, openStore()), newAuthorizer(t, openStore())
	bob := principal(t, "user:bob")

	_, err := mine.CreateRole(ctx, rbac.Role{Name: "poster",
		Permissions: []string{"integration:chat:*"}, Inherits: []string{rbac.MemberRole}})
	require.NoError(t, err)
	require.NoError(t, mine.Assign(ctx, "user:bob", "poster"))
	require.True(t, mine.Allowed(ctx, bob, "integration:chat:send_message"))

	require.NoError(t, theirs.Refresh(ctx))
	require.True(t, theirs.Allowed(ctx, bob, "integration:chat:send_message"))
	got, err := theirs.Role("poster")
	require.NoError(t, err)
	require.Equal(t, []string{rbac.MemberRole}, got.Inherits)

	require.NoError(t, theirs.DeleteRole(ctx, "poster"))
	require.NoError(t, mine.Refresh(ctx))
	require.False(t, mine.Allowed(ctx, bob, "integration:chat:send_message"))
	as, err := mine.Assignments(ctx, "")
	require.NoError(t, err)
	require.Empty(t, as)
}
