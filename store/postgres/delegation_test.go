package postgres_test

import (
	"testing"

	"github.com/switchboard-dev/switchboard/delegation"
	"github.com/switchboard-dev/switchboard/store/postgres/pgtest"
	"github.com/switchboard-dev/switchboard/store/storetest"
)

func TestConformanceDelegation(t *testing.T) {
	t.Parallel()
	pgtest.SkipUnlessSet(t)
	storetest.RunDelegation(t, func(t *testing.T) delegation.Store {
		return open(t, pgtest.URL(t))
	})
}

func TestConformanceDelegationShared(t *testing.T) {
	t.Parallel()
	pgtest.SkipUnlessSet(t)
	storetest.RunDelegationShared(t, func(t *testing.T) (delegation.Store, delegation.Store) {
		url := pgtest.URL(t)
		return open(t, url), open(t, url)
	})
}
