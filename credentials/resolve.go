package credentials

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/internal/logkey"
	"github.com/switchboard-dev/switchboard/registry"
)

// Resolve returns the connection fields act's templates read
// ({{connection.name}}) for a call by user: the access token and its type
// for OAuth 2.0, each field of a credential form. The connection is the
// one connectionID names, which must be user's connection to act's
// integration (not_found otherwise), or else user's oldest active one.
// A token due for renewal is refreshed first (see the package doc). Under
// a client_credentials grant the connection is the platform's, granted on
// first use and again on expiry, and user may be zero.
//
// Without a usable connection Resolve returns a *switchboard.Error with
// CodeNotConnected whose ConnectURL is a fresh connect link; a dead
// connection fails so at once, without contacting the provider. A
// provider that fails returns upstream_error or timeout. An integration
// without a userAuth block returns an error matching [ErrNoUserAuth].
// The returned values are secrets: the caller passes them to the request
// and drops them.
func (m *Manager) Resolve(ctx context.Context, act *registry.Action, user switchboard.Principal,
	connectionID string,
) (map[string]string, error) {
	in := act.Integration
	ua, err := userAuth(in)
	if err != nil {
		return nil, err
	}
	if ua.PlatformConnection() {
		return m.platform(ctx, in, connectionID)
	}
	if user.IsZero() {
		return nil, switchboard.Errorf(switchboard.CodeInvalidRequest,
			"%s runs with the caller's own connection: a user is needed", name(in))
	}
	sc, err := m.pick(ctx, in, user.String(), connectionID)
	if err != nil {
		return nil, err
	}
	if sc.Kind != kindOf(ua) {
		// Made before the manifest changed how accounts connect.
		return nil, m.notConnected(ctx, in, sc.Principal, nil)
	}
	return m.use(ctx, in, sc)
}

// kindOf is the kind of connection ua makes.
func kindOf(ua *registry.UserAuth) Kind {
	switch {
	case ua.Type == registry.UserAuthCredentials:
		return KindCredentials
	case ua.PlatformConnection():
		return KindClientCredentials
	}
	return KindOAuth2
}

// userAuth returns in's userAuth block when the manager can serve it.
func userAuth(in *registry.Integration) (*registry.UserAuth, error) {
	ua := in.Manifest.UserAuth
	switch {
	case ua == nil:
		return nil, noUserAuth(in)
	case ua.Type == registry.UserAuthRedirect:
		return nil, redirectUnsupported(in)
	case ua.Type == registry.UserAuthOAuth2 && ua.OAuth == nil:
		return nil, manifestError(in, "type", "oauth2 without a provider")
	case ua.Type != registry.UserAuthOAuth2 && ua.Type != registry.UserAuthCredentials:
		return nil, manifestError(in, "type", fmt.Sprintf("unknown type %q", ua.Type))
	}
	return ua, nil
}

// pick returns the connection a call of principal uses: the one id names,
// or the oldest active one.
func (m *Manager) pick(ctx context.Context, in *registry.Integration, principal, id string,
) (StoredConnection, error) {
	if id != "" {
		sc, err := m.owned(ctx, in.ID(), principal, id)
		if switchboard.ErrorCode(err) == switchboard.CodeNotFound {
			return m.pickLent(ctx, in, principal, id, err)
		}
		if err != nil {
			return StoredConnection{}, err
		}
		if sc.Status == StatusDead {
			return StoredConnection{}, m.notConnected(ctx, in, principal, &sc.Connection)
		}
		return sc, nil
	}

	list, err := m.store.Connections(ctx, in.ID(), principal)
	if err != nil {
		return StoredConnection{}, fmt.Errorf("list connections of %s: %w", in.ID(), err)
	}
	var dead *Connection
	for i, c := range list {
		if c.Status != StatusActive {
			if dead == nil {
				dead = &list[i]
			}
			continue
		}
		sc, err := m.store.Connection(ctx, c.ID)
		if switchboard.ErrorCode(err) == switchboard.CodeNotFound {
			continue // deleted since the listing
		}
		if err != nil {
			return StoredConnection{}, fmt.Errorf("read connection %s: %w", c.ID, err)
		}
		return sc, nil
	}
	// An agent with no connection of its own may have been lent one.
	if sc, ok, err := m.lent(ctx, in.ID(), principal, ""); err != nil || ok {
		return sc, err
	}
	return StoredConnection{}, m.notConnected(ctx, in, principal, dead)
}

// pickLent returns connection id when it is lent to principal, and
// otherwise notFound.
func (m *Manager) pickLent(ctx context.Context, in *registry.Integration, principal, id string,
	notFound error,
) (StoredConnection, error) {
	sc, ok, err := m.lent(ctx, in.ID(), principal, id)
	switch {
	case err != nil:
		return StoredConnection{}, err
	case !ok:
		return StoredConnection{}, notFound
	case sc.Status == StatusDead:
		// The link would connect the agent's own account, not repair the
		// owner's: only the owner can.
		return StoredConnection{}, switchboard.Errorf(switchboard.CodeNotConnected,
			"connection %s to %s, lent by its owner, is dead: they must reconnect it",
			id, name(in))
	}
	return sc, nil
}

// owned returns connection id when principal owns it for appID, and
// not_found otherwise, whether it exists or not.
func (m *Manager) owned(ctx context.Context, appID, principal, id string,
) (StoredConnection, error) {
	sc, err := m.store.Connection(ctx, id)
	if switchboard.ErrorCode(err) == switchboard.CodeNotFound ||
		(err == nil && (sc.Principal != principal || sc.AppID != appID)) {
		return StoredConnection{}, connectionNotFound(id)
	}
	if err != nil {
		return StoredConnection{}, fmt.Errorf("read connection %s: %w", id, err)
	}
	return sc, nil
}

// use returns sc's fields, renewing its token first when due.
func (m *Manager) use(ctx context.Context, in *registry.Integration, sc StoredConnection,
) (map[string]string, error) {
	s, err := m.open(ctx, sc)
	if err != nil {
		return nil, err
	}
	if !policyOf(in).due(sc.Kind, s, m.now()) {
		return s.values(sc.Kind), nil
	}
	return m.refresh(ctx, in, sc, false)
}

// platformID is the id of an integration's platform connection.
func platformID(appID string) string { return "platform_" + appID }

// platform returns the fields of in's platform connection, created on
// first use and granted when due.
func (m *Manager) platform(ctx context.Context, in *registry.Integration, connectionID string,
) (map[string]string, error) {
	id := platformID(in.ID())
	if connectionID != "" && connectionID != id {
		return nil, connectionNotFound(connectionID)
	}
	sc, err := m.store.Connection(ctx, id)
	if switchboard.ErrorCode(err) == switchboard.CodeNotFound {
		sc, err = m.createPlatform(ctx, in, id)
	}
	if err != nil {
		return nil, fmt.Errorf("read connection %s: %w", id, err)
	}
	return m.use(ctx, in, sc)
}

// createPlatform stores in's platform connection, without a token yet, or
// returns the one another process stored first.
func (m *Manager) createPlatform(ctx context.Context, in *registry.Integration, id string,
) (StoredConnection, error) {
	sealed, err := m.seal(id, secret{})
	if err != nil {
		return StoredConnection{}, err
	}
	now := m.clock()
	sc := StoredConnection{
		Connection: Connection{
			ID: id, AppID: in.ID(), Kind: KindClientCredentials, Label: name(in),
			Status: StatusActive, CreatedAt: now, UpdatedAt: now,
		},
		Sealed: sealed, Generation: 1,
	}
	err = m.store.CreateConnection(ctx, sc)
	if switchboard.ErrorCode(err) == switchboard.CodeConflict {
		return m.store.Connection(ctx, id)
	}
	if err != nil {
		return StoredConnection{}, err
	}
	m.log.InfoContext(ctx, "platform connection created", attrs(sc.Connection)...)
	return sc, nil
}

// notConnected is the not_connected error for principal, with a connect
// link renewing dead when it is given.
func (m *Manager) notConnected(ctx context.Context, in *registry.Integration, principal string,
	dead *Connection,
) error {
	if principal == "" {
		// The platform's connection has no one to connect it.
		return switchboard.Errorf(switchboard.CodeUpstream,
			"%s's platform connection does not work", name(in))
	}
	if d, delegated := switchboard.DelegationFrom(ctx); delegated {
		// A link would let the agent connect an account of its choosing
		// as the user's: only the user connects their own.
		e := notConnected(in, "", dead).(*switchboard.Error)
		e.Message = fmt.Sprintf("%s has no working %s connection, and an agent acting for "+
			"them cannot make one: ask %s to connect their account", d.User, name(in), d.User)
		return e
	}
	renew := ""
	if dead != nil {
		renew = dead.ID
	}
	link, err := m.newLink(ctx, in.ID(), principal, renew)
	if err != nil {
		m.log.ErrorContext(ctx, "connect link not made", slog.Any(logkey.Err, err))
		link = ""
	}
	return notConnected(in, link, dead)
}
