package credentials

import (
	"context"
	"fmt"
	"strings"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/registry"
)

// Connections returns user's connections to the integration appID, oldest
// first. None of them carries a credential.
func (m *Manager) Connections(ctx context.Context, appID string, user switchboard.Principal,
) ([]Connection, error) {
	if user.IsZero() {
		return nil, nil
	}
	list, err := m.store.Connections(ctx, appID, user.String())
	if err != nil {
		return nil, fmt.Errorf("list connections of %s: %w", appID, err)
	}
	return list, nil
}

// Connection returns user's connection id to appID, or not_found when it
// is not theirs or not to appID.
func (m *Manager) Connection(ctx context.Context, appID string, user switchboard.Principal,
	id string,
) (Connection, error) {
	sc, err := m.owned(ctx, appID, user.String(), id)
	return sc.Connection, err
}

// Status says whether user has an active connection to appID, how many
// connections they have and how many of those are dead.
func (m *Manager) Status(ctx context.Context, appID string, user switchboard.Principal,
) (connected bool, count, dead int, err error) {
	list, err := m.Connections(ctx, appID, user)
	if err != nil {
		return false, 0, 0, err
	}
	for _, c := range list {
		if c.Status == StatusDead {
			dead++
		}
	}
	return len(list) > dead, len(list), dead, nil
}

// Rename sets the label of user's connection id to appID and returns the
// connection; not_found when it is not theirs, invalid_input for a label
// that is empty, longer than 100 characters or holds control characters.
func (m *Manager) Rename(ctx context.Context, appID string, user switchboard.Principal,
	id, label string,
) (Connection, error) {
	label = strings.TrimSpace(label)
	if label == "" {
		return Connection{}, &switchboard.Error{
			Code: switchboard.CodeInvalidInput, Message: "label is invalid: required",
			Errors: []switchboard.FieldError{{Path: "/label", Message: "required"}},
		}
	}
	if err := checkLabel(label); err != nil {
		return Connection{}, err
	}
	sc, err := m.owned(ctx, appID, user.String(), id)
	if err != nil {
		return Connection{}, err
	}
	now := m.clock()
	if err := m.store.RenameConnection(ctx, id, label, now); err != nil {
		return Connection{}, m.storeErr(err, id)
	}
	sc.Label, sc.UpdatedAt = label, now
	return sc.Connection, nil
}

// Delete removes user's connection id to appID with its credentials;
// not_found when it is not theirs.
func (m *Manager) Delete(ctx context.Context, appID string, user switchboard.Principal,
	id string,
) error {
	sc, err := m.owned(ctx, appID, user.String(), id)
	if err != nil {
		return err
	}
	if err := m.store.DeleteConnection(ctx, id); err != nil {
		return m.storeErr(err, id)
	}
	return m.deleted(ctx, []Connection{sc.Connection})
}

// DeleteAll removes every connection of user to appID, with the OAuth
// flows and connect links in flight for them, and returns how many
// connections it removed.
func (m *Manager) DeleteAll(ctx context.Context, appID string, user switchboard.Principal,
) (int, error) {
	if user.IsZero() || appID == "" {
		return 0, switchboard.Errorf(switchboard.CodeInvalidRequest,
			"deleting connections needs a user and an integration")
	}
	return m.deleteWhere(ctx, Filter{AppID: appID, Principal: user.String()})
}

// RemovePrincipal removes every connection of user, to every integration,
// with their flows and links in flight and the grants lending them, and
// every grant lent to user, for offboarding. It returns how many
// connections it removed.
func (m *Manager) RemovePrincipal(ctx context.Context, user switchboard.Principal) (int, error) {
	if user.IsZero() {
		return 0, switchboard.Errorf(switchboard.CodeInvalidRequest, "no principal given")
	}
	// What was lent to it goes too; what it lent goes with its connections.
	if _, err := m.store.DeleteGrantsTo(ctx, user.String()); err != nil {
		return 0, fmt.Errorf("delete grants to %s: %w", user, err)
	}
	return m.deleteWhere(ctx, Filter{Principal: user.String()})
}

// Purge removes every connection to appID, the platform's included, with
// the flows and links in flight, for an undeploy that purges. It returns
// how many connections it removed.
func (m *Manager) Purge(ctx context.Context, appID string) (int, error) {
	if appID == "" {
		return 0, switchboard.Errorf(switchboard.CodeInvalidRequest, "no integration given")
	}
	return m.deleteWhere(ctx, Filter{AppID: appID})
}

func (m *Manager) deleteWhere(ctx context.Context, f Filter) (int, error) {
	gone, err := m.store.DeleteConnections(ctx, f)
	if err != nil {
		return 0, fmt.Errorf("delete connections: %w", err)
	}
	return len(gone), m.deleted(ctx, gone)
}

// deleted logs and audits connections removed.
func (m *Manager) deleted(ctx context.Context, gone []Connection) error {
	var first error
	for _, c := range gone {
		m.log.InfoContext(ctx, "connection deleted", attrs(c)...)
		if err := m.note(ctx, audit.EventConnectionDelete, c, "", nil); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Refresh renews the token of user's connection id to in now, even when it
// is not due, and returns the connection. A provider that fails leaves the
// connection active, with its last error, and returns upstream_error; only
// a grant the provider refuses (invalid_grant) makes it dead, which returns
// not_connected with a connect link. A credential form has nothing to
// renew and is returned as it is.
func (m *Manager) Refresh(ctx context.Context, in *registry.Integration,
	user switchboard.Principal, id string,
) (Connection, error) {
	if _, err := userAuth(in); err != nil {
		return Connection{}, err
	}
	sc, err := m.owned(ctx, in.ID(), user.String(), id)
	if err != nil {
		return Connection{}, err
	}
	switch {
	case sc.Kind == KindCredentials:
		return sc.Connection, nil
	case sc.Status == StatusDead:
		return Connection{}, m.notConnected(ctx, in, sc.Principal, &sc.Connection)
	}
	if _, err := m.refresh(ctx, in, sc, true); err != nil {
		return Connection{}, err
	}
	return m.Connection(ctx, in.ID(), user, id)
}

// storeErr names connection id in a store's not_found.
func (m *Manager) storeErr(err error, id string) error {
	if switchboard.ErrorCode(err) == switchboard.CodeNotFound {
		return connectionNotFound(id)
	}
	return fmt.Errorf("connection %s: %w", id, err)
}
