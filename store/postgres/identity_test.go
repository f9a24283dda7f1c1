package postgres_test

import (
	"testing"

	"github.com/switchboard-dev/switchboard/identity"
	"github.com/switchboard-dev/switchboard/store/postgres/pgtest"
	"github.com/switchboard-dev/switchboard/store/storetest"
)

func TestConformanceIdentity(t *testing.T) {
	t.Parallel()
	pgtest.SkipUnlessSet(t)
	storetest.RunIdentity(t, func(t *testing.T) (identity.Store, storetest.Feed) {
		db := open(t, pgtest.URL(t))
		return db, feed(db)
	})
}
