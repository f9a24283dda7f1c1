package credentials

import (
	"context"
	"fmt"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/registry"
)

// Refused is told that the service answered 401 to a call of act that ran
// with user's connection (the one connectionID names, else the one
// Resolve picks), cause being that call's error. An OAuth 2.0 token that
// can be renewed is renewed now, and Refused returns the new values for
// the caller to try once more: a 401 means the service did nothing. A
// connection that cannot be renewed (a credential form, a token without a
// refresh token) is marked dead with the reason, and Refused answers
// not_connected with a link that renews it in place, so that calls stop
// failing one by one and the user learns what to do. Without a connection
// to blame it returns cause.
func (m *Manager) Refused(ctx context.Context, act *registry.Action, user switchboard.Principal,
	connectionID string, cause error,
) (map[string]string, error) {
	in := act.Integration
	ua, err := userAuth(in)
	if err != nil {
		return nil, cause
	}
	if ua.PlatformConnection() {
		sc, err := m.store.Connection(ctx, platformID(in.ID()))
		if err != nil {
			return nil, cause
		}
		return m.refresh(ctx, in, sc, true)
	}
	if user.IsZero() {
		return nil, cause
	}
	sc, err := m.pick(ctx, in, user.String(), connectionID)
	if err != nil {
		return nil, cause
	}
	s, err := m.open(ctx, sc)
	if err != nil {
		return nil, err
	}
	if sc.Kind == KindOAuth2 && s.RefreshToken != "" {
		return m.refresh(ctx, in, sc, true)
	}
	const why = "the service refused these credentials (HTTP 401)"
	u := ConnectionUpdate{Status: StatusDead, LastError: why, At: m.clock()}
	if err := m.store.UpdateConnection(ctx, sc.ID, "", u); err != nil {
		return nil, fmt.Errorf("record refused connection %s: %w", sc.ID, err)
	}
	sc.Status, sc.LastError = StatusDead, why
	m.noteQuietly(ctx, audit.EventConnectionRefreshFailed, sc.Connection, switchboard.CodeUpstream,
		map[string]string{"dead": "true", "upstream_status": "401"})
	m.log.WarnContext(ctx, "connection dead", attrs(sc.Connection)...)
	if sc.Principal != user.String() {
		// Lent to user: only its owner may connect it again.
		return nil, switchboard.Errorf(switchboard.CodeNotConnected,
			"connection %s to %s, lent by its owner, was refused by the service: "+
				"they must reconnect it", sc.ID, name(in))
	}
	return nil, m.notConnected(ctx, in, sc.Principal, &sc.Connection)
}
