package credentials

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/internal/logkey"
)

// Lend lends user's connection id to appID to agent, a standing
// delegation: the agent's own calls to appID may use it, within the
// agent's own permissions, until user takes it back ([Manager.Unlend]) or
// removes the connection. It returns not_found when the connection is not
// user's, invalid_input when agent is not an agent or an app, and conflict
// when the connection is lent to agent already.
func (m *Manager) Lend(ctx context.Context, appID string, user switchboard.Principal,
	id string, agent switchboard.Principal,
) (Grant, error) {
	if agent.Kind != switchboard.KindAgent && agent.Kind != switchboard.KindApp {
		return Grant{}, &switchboard.Error{Code: switchboard.CodeInvalidInput,
			Message: "agent is invalid: a connection is lent to an agent or an app",
			Errors: []switchboard.FieldError{{Path: "/agent",
				Message: fmt.Sprintf("must be agent:ID or app:ID, not %q", agent.String())}}}
	}
	sc, err := m.owned(ctx, appID, user.String(), id)
	if err != nil {
		return Grant{}, err
	}
	gid, err := m.random(12)
	if err != nil {
		return Grant{}, err
	}
	g := Grant{ID: "grant_" + strings.ToLower(idEncoding.EncodeToString(gid)), AppID: appID,
		ConnectionID: id, Owner: sc.Principal, Agent: agent.String(), CreatedAt: m.clock()}
	switch err := m.store.CreateGrant(ctx, g); {
	case switchboard.ErrorCode(err) == switchboard.CodeConflict:
		return Grant{}, switchboard.Errorf(switchboard.CodeConflict,
			"connection %s is lent to %s already", id, agent)
	case err != nil:
		return Grant{}, m.storeErr(err, id)
	}
	m.log.InfoContext(ctx, "connection lent", append(attrs(sc.Connection),
		slog.String("agent", g.Agent), slog.String("grant", g.ID))...)
	return g, m.note(ctx, audit.EventConnectionLend, sc.Connection, "",
		map[string]string{"grant": g.ID, "agent": g.Agent})
}

// Unlend revokes grant id, which user made for one of their connections to
// appID; not_found when there is no such grant of theirs.
func (m *Manager) Unlend(ctx context.Context, appID string, user switchboard.Principal,
	id string,
) error {
	grants, err := m.Grants(ctx, appID, user)
	if err != nil {
		return err
	}
	for _, g := range grants {
		if g.ID != id || g.Owner != user.String() {
			continue
		}
		if err := m.store.DeleteGrant(ctx, id); err != nil {
			if switchboard.ErrorCode(err) == switchboard.CodeNotFound {
				break
			}
			return fmt.Errorf("delete grant %s: %w", id, err)
		}
		m.log.InfoContext(ctx, "connection lending revoked", slog.String(logkey.Connection,
			g.ConnectionID), slog.String("agent", g.Agent), slog.String("grant", g.ID))
		return m.note(ctx, audit.EventConnectionUnlend, Connection{ID: g.ConnectionID,
			AppID: appID, Principal: g.Owner}, "", map[string]string{"grant": g.ID, "agent": g.Agent})
	}
	return switchboard.Errorf(switchboard.CodeNotFound, "no grant %q of yours to %s", id, appID)
}

// Grants returns the grants of p's connections to appID and the grants p
// received, oldest first.
func (m *Manager) Grants(ctx context.Context, appID string, p switchboard.Principal,
) ([]Grant, error) {
	if p.IsZero() {
		return nil, nil
	}
	list, err := m.store.Grants(ctx, appID, p.String())
	if err != nil {
		return nil, fmt.Errorf("list grants of %s: %w", appID, err)
	}
	return list, nil
}

// lent returns the connection to appID lent to agent: the one id names, or
// else the oldest active one, by the oldest grant. It reports false when
// none is.
func (m *Manager) lent(ctx context.Context, appID, agent, id string,
) (StoredConnection, bool, error) {
	grants, err := m.store.Grants(ctx, appID, agent)
	if err != nil {
		return StoredConnection{}, false, fmt.Errorf("list grants of %s: %w", appID, err)
	}
	for _, g := range grants {
		if g.Agent != agent || (id != "" && g.ConnectionID != id) {
			continue
		}
		sc, err := m.store.Connection(ctx, g.ConnectionID)
		switch {
		case switchboard.ErrorCode(err) == switchboard.CodeNotFound:
			continue // removed since the listing
		case err != nil:
			return StoredConnection{}, false, fmt.Errorf("read connection %s: %w", g.ConnectionID, err)
		case sc.AppID != appID || sc.Principal != g.Owner:
			continue
		case sc.Status != StatusActive && id == "":
			continue
		}
		return sc, true, nil
	}
	return StoredConnection{}, false, nil
}
