// Package pgtest gives each PostgreSQL test a schema of its own on the
// server that SWITCHBOARD_TEST_DATABASE_URL names, so that tests run in
// parallel and leave nothing behind.
package pgtest

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the variable holding the connection string of the test
// server, URL or keyword/value form. CI sets it; without it PostgreSQL tests
// skip.
const EnvURL = "SWITCHBOARD_TEST_DATABASE_URL"

// timeout bounds connecting, creating and dropping a schema.
const timeout = 30 * time.Second

// URL returns a connection string for a fresh, empty schema on the test
// server, dropped with everything in it when t ends. Every connection made
// with it, by pgx in this process or in another, starts with search_path
// set to that schema alone (a runtime parameter of the startup message, as
// pgx sends it; libpq tools such as psql ignore it).
//
// URL skips t, saying so, when EnvURL is unset, and fails t when it is set
// but the server cannot be reached or refuses the schema: CI must not
// mistake a broken database for a skipped test. Close every handle on the
// schema before t's cleanups run (register its Close after calling URL).
func URL(t testing.TB) string {
	t.Helper()
	SkipUnlessSet(t)
	base := os.Getenv(EnvURL)

	// A random name: tests of several packages share the server at once.
	schema := pgx.Identifier{"sbtest_" + strings.ToLower(rand.Text())}
	if err := exec(base, "CREATE SCHEMA "+schema.Sanitize()); err != nil {
		t.Fatalf("pgtest: %s is set but the test schema cannot be created: %v", EnvURL, err)
	}
	t.Cleanup(func() {
		if err := exec(base, "DROP SCHEMA "+schema.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("pgtest: drop test schema: %v", err)
		}
	})
	return withSearchPath(t, base, schema[0])
}

// SkipUnlessSet skips t, saying so, when EnvURL is unset. A test whose
// subtests each call [URL] calls it first, to skip once instead of in every
// subtest.
func SkipUnlessSet(t testing.TB) {
	t.Helper()
	if os.Getenv(EnvURL) == "" {
		t.Skip("SWITCHBOARD_TEST_DATABASE_URL is not set: skipping PostgreSQL tests (CI sets it)")
	}
}

// exec runs one statement on a connection of its own.
func exec(base, stmt string) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return fmt.Errorf("server unreachable: %w", err)
	}
	defer func() { _ = conn.Close(context.Background()) }()

	_, err = conn.Exec(ctx, stmt)
	return err
}

// withSearchPath adds search_path=schema to a connection string of either
// form.
func withSearchPath(t testing.TB, base, schema string) string {
	t.Helper()
	if !strings.HasPrefix(base, "postgres://") && !strings.HasPrefix(base, "postgresql://") {
		return base + " search_path=" + schema
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("pgtest: %s is not a valid URL", EnvURL)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
