package sqlite_test

import (
	"testing"

	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/store/storetest"
)

func TestConformanceAudit(t *testing.T) {
	t.Parallel()
	storetest.RunAudit(t, func(t *testing.T) audit.Store {
		return open(t, tempPath(t))
	})
}
