package identity

import (
	"context"
	"fmt"

	"github.com/switchboard-dev/switchboard/audit"
)

// Auditor records the creation and revocation of keys.
type Auditor interface {
	Record(ctx context.Context, e audit.Entry) error
}

// note records a key change that has been made. The change stands when the
// entry cannot be written; the error says so.
func (a *Authenticator) note(ctx context.Context, ev audit.Event, detail map[string]string) error {
	if a.audit == nil {
		return nil
	}
	err := a.audit.Record(context.WithoutCancel(ctx), audit.Entry{
		Event: ev, Outcome: audit.OutcomeOK, Detail: detail,
	})
	if err != nil {
		return fmt.Errorf("the key change was made but its audit entry was not written: %w", err)
	}
	return nil
}
