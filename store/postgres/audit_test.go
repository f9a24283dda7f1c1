package postgres_test

import (
	"testing"

	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/store/postgres/pgtest"
	"github.com/switchboard-dev/switchboard/store/storetest"
)

func TestConformanceAudit(t *testing.T) {
	t.Parallel()
	pgtest.SkipUnlessSet(t)
	storetest.RunAudit(t, func(t *testing.T) audit.Store {
		return open(t, pgtest.URL(t))
	})
}
