package rbac

import (
	"context"
	"fmt"

	"github.com/switchboard-dev/switchboard/audit"
)

// Auditor records changes to roles and assignments.
type Auditor interface {
	Record(ctx context.Context, e audit.Entry) error
}

// note records a change that has been made. The change stands when the
// entry cannot be written; the error says so, so that the caller learns
// the log is missing it.
func (a *Authorizer) note(ctx context.Context, ev audit.Event, detail map[string]string) error {
	if a.audit == nil {
		return nil
	}
	err := a.audit.Record(context.WithoutCancel(ctx), audit.Entry{
		Event: ev, Outcome: audit.OutcomeOK, Detail: detail,
	})
	if err != nil {
		return fmt.Errorf("the change was made but its audit entry was not written: %w", err)
	}
	return nil
}
