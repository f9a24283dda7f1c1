package registry

import (
	"context"
	"fmt"

	"github.com/switchboard-dev/switchboard/audit"
)

// Auditor records the changes made to the catalog and the installed set.
type Auditor interface {
	Record(ctx context.Context, e audit.Entry) error
}

// note records a change that has been made, on behalf of ctx's audit
// origin. The change stands when the entry cannot be written; the error
// says so.
func (r *Registry) note(ctx context.Context, ev audit.Event, appID string, detail map[string]string) error {
	if r.audit == nil {
		return nil
	}
	err := r.audit.Record(context.WithoutCancel(ctx), audit.Entry{
		Event: ev, Integration: appID, Outcome: audit.OutcomeOK, Detail: detail,
	})
	if err != nil {
		return fmt.Errorf("%s was changed but its audit entry was not written: %w", appID, err)
	}
	return nil
}
