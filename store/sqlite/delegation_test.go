package sqlite_test

import (
	"testing"

	"github.com/switchboard-dev/switchboard/delegation"
	"github.com/switchboard-dev/switchboard/store/storetest"
)

func TestConformanceDelegation(t *testing.T) {
	t.Parallel()
	storetest.RunDelegation(t, func(t *testing.T) delegation.Store {
		return open(t, tempPath(t))
	})
}

func TestConformanceDelegationShared(t *testing.T) {
	t.Parallel()
	storetest.RunDelegationShared(t, func(t *testing.T) (delegation.Store, delegation.Store) {
		path := tempPath(t)
		return open(t, path), open(t, path)
	})
}
