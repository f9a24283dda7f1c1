package pgtest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard/store/postgres/pgtest"
)

func TestURLGivesEachTestItsSchema(t *testing.T) {
	t.Parallel()
	a, b := connect(t, pgtest.URL(t)), connect(t, pgtest.URL(t))

	schemaA, schemaB := currentSchema(t, a), currentSchema(t, b)
	require.True(t, strings.HasPrefix(schemaA, "sbtest_"), schemaA)
	require.NotEqual(t, schemaA, schemaB)

	_, err := a.Exec(t.Context(), `CREATE TABLE t (x int)`)
	require.NoError(t, err)
	_, err = b.Exec(t.Context(), `CREATE TABLE t (x int)`)
	require.NoError(t, err, "the other schema has no table t")
}

func currentSchema(t *testing.T, conn *pgx.Conn) string {
	t.Helper()
	var s string
	require.NoError(t, conn.QueryRow(t.Context(), `SELECT current_schema()`).Scan(&s))
	return s
}

// connect opens a connection on url, closed when t ends.
func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, conn.Close(context.Background())) })
	return conn
}
