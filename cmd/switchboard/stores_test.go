package main

import (
	"crypto/rand"
	"encoding/base64"
	"testing"

	"github.com/switchboard-dev/switchboard/store/postgres/pgtest"
)

// storeKinds are the stores every end-to-end test that cares runs on.
var storeKinds = []struct {
	name string
	new  func(t *testing.T) *instance
}{
	{"sqlite", func(t *testing.T) *instance { return newInstance(t) }},
	{"postgres", newPostgresInstance},
}

// newPostgresInstance is an instance on a schema of its own on the test
// PostgreSQL server, or skips (visibly) when none is configured.
func newPostgresInstance(t *testing.T) *instance {
	t.Helper()
	url := pgtest.URL(t)
	return newInstance(t, "SWITCHBOARD_DATABASE_URL="+url, "SWITCHBOARD_MASTER_KEY="+newMasterKey(t))
}

func newMasterKey(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}
