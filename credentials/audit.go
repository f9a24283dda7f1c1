package credentials

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/internal/logkey"
)

// note records a change made to connection c on behalf of ctx's audit
// origin. The change stands when the entry cannot be written; the error
// says so.
func (m *Manager) note(ctx context.Context, ev audit.Event, c Connection, code switchboard.Code,
	extra map[string]string,
) error {
	if m.audit == nil {
		return nil
	}
	detail := map[string]string{"connection": c.ID, "principal": c.Principal}
	for k, v := range extra {
		detail[k] = v
	}
	outcome := audit.OutcomeOK
	if code != "" {
		outcome = audit.OutcomeError
	}
	e := audit.Entry{
		Event: ev, Integration: c.AppID, Outcome: outcome, ErrorCode: code, Detail: detail,
	}
	// A browser following a connect link has no bearer token: the link's
	// user is who acts.
	if audit.OriginFrom(ctx).Actor == "" {
		e.Actor = c.Principal
	}
	err := m.audit.Record(context.WithoutCancel(ctx), e)
	if err != nil {
		return fmt.Errorf("connection %s was changed but its audit entry was not written: %w",
			c.ID, err)
	}
	return nil
}

// noteQuietly records like note and logs a failure to, for events whose
// caller has nothing to answer.
func (m *Manager) noteQuietly(ctx context.Context, ev audit.Event, c Connection,
	code switchboard.Code, extra map[string]string,
) {
	if err := m.note(ctx, ev, c, code, extra); err != nil {
		m.log.ErrorContext(ctx, "audit entry not written",
			slog.String(logkey.Connection, c.ID), slog.Any(logkey.Err, err))
	}
}

// attrs are the log attributes naming c.
func attrs(c Connection) []any {
	return []any{
		slog.String(logkey.Integration, c.AppID),
		slog.String(logkey.Principal, c.Principal),
		slog.String(logkey.Connection, c.ID),
	}
}
