package sqlite_test

import (
	"testing"

	"github.com/switchboard-dev/switchboard/identity"
	"github.com/switchboard-dev/switchboard/store/storetest"
)

func TestConformanceIdentity(t *testing.T) {
	t.Parallel()
	storetest.RunIdentity(t, func(t *testing.T) (identity.Store, storetest.Feed) {
		db := open(t, tempPath(t))
		return db, feed(db)
	})
}
