package rbac

import (
	"context"
	"fmt"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
)

// Auditor records changes to roles and assignments.
type Auditor interface {
	Record(ctx context.Context, e audit.Entry) error
}

// note records a change that has been made. The change stands when the
// entry cannot be written; the caller then gets an internal
// *switchboard.Error that says so, whatever the code of the audit's own
// error, which is its Cause.
func (a *Authorizer) note(ctx context.Context, ev audit.Event, detail map[string]string) error {
	if a.audit == nil {
		return nil
	}
	err := a.audit.Record(context.WithoutCancel(ctx), audit.Entry{
		Event: ev, Outcome: audit.OutcomeOK, Detail: detail,
	})
	if err != nil {
		return switchboard.Wrap(switchboard.CodeInternal, fmt.Errorf("record %s: %w", ev, err),
			"the change was made but not recorded in the audit log; "+
				"an operator should check the audit store")
	}
	return nil
}
