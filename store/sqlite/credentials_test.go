package sqlite_test

import (
	"testing"

	"github.com/switchboard-dev/switchboard/store/storetest"
)

func TestConformanceCredentials(t *testing.T) {
	t.Parallel()
	storetest.RunCredentials(t, func(t *testing.T) storetest.CredentialsStore {
		return open(t, tempPath(t))
	})
}

func TestConformanceCredentialsShared(t *testing.T) {
	t.Parallel()
	storetest.RunCredentialsShared(t,
		func(t *testing.T) (storetest.CredentialsStore, storetest.CredentialsStore) {
			path := tempPath(t)
			return open(t, path), open(t, path)
		})
}
