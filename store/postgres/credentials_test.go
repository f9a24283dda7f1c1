package postgres_test

import (
	"testing"

	"github.com/switchboard-dev/switchboard/store/postgres/pgtest"
	"github.com/switchboard-dev/switchboard/store/storetest"
)

func TestConformanceCredentials(t *testing.T) {
	t.Parallel()
	pgtest.SkipUnlessSet(t)
	storetest.RunCredentials(t, func(t *testing.T) storetest.CredentialsStore {
		return open(t, pgtest.URL(t))
	})
}

func TestConformanceCredentialsShared(t *testing.T) {
	t.Parallel()
	pgtest.SkipUnlessSet(t)
	storetest.RunCredentialsShared(t,
		func(t *testing.T) (storetest.CredentialsStore, storetest.CredentialsStore) {
			url := pgtest.URL(t)
			return open(t, url), open(t, url)
		})
}
