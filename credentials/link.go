package credentials

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/registry"
)

// Link is a connect link as opened: whom it connects, and to what.
type Link struct {
	AppID string
	User  switchboard.Principal
	// ConnectionID is the dead connection the link renews, "" when it
	// makes a new one.
	ConnectionID string
	ExpiresAt    time.Time
}

// ConnectLink returns a new connect link for user and the integration
// appID: {PublicURL}/api/v1/connect/{token}, valid [LinkTTL], usable once,
// that a browser opens without a bearer token. The store keeps only the
// token's hash.
func (m *Manager) ConnectLink(ctx context.Context, appID string, user switchboard.Principal,
) (string, error) {
	if user.IsZero() {
		return "", switchboard.Errorf(switchboard.CodeInvalidRequest,
			"a connect link needs a user")
	}
	return m.newLink(ctx, appID, user.String(), "")
}

func (m *Manager) newLink(ctx context.Context, appID, principal, renew string) (string, error) {
	tok, hash, err := m.newToken()
	if err != nil {
		return "", err
	}
	now := m.clock()
	err = m.store.PutConnectLink(ctx, LinkRecord{
		Hash: hash, AppID: appID, Principal: principal, ConnectionID: renew,
		CreatedAt: now, ExpiresAt: now.Add(LinkTTL),
	})
	if err != nil {
		return "", fmt.Errorf("store connect link: %w", err)
	}
	return m.public + ConnectPath + tok, nil
}

// OpenLink returns what the connect link token connects, without using it
// up. An unknown, used or expired link is not_found.
func (m *Manager) OpenLink(ctx context.Context, token string) (Link, error) {
	rec, err := m.peekLink(ctx, token)
	if err != nil {
		return Link{}, err
	}
	user, err := switchboard.ParsePrincipal(rec.Principal)
	if err != nil {
		return Link{}, fmt.Errorf("connect link of %q: %w", rec.Principal, err)
	}
	return Link{
		AppID: rec.AppID, User: user, ConnectionID: rec.ConnectionID, ExpiresAt: rec.ExpiresAt,
	}, nil
}

// StartLink follows the connect link token for in, the integration it
// names. For OAuth 2.0 it uses the link up and starts the flow for the
// link's user, as [Manager.Start] does with returnTo; for a credential
// form it returns the schema and keeps the link for
// [Manager.SaveLinkCredentials]. Errors are those of OpenLink and Start.
func (m *Manager) StartLink(ctx context.Context, in *registry.Integration, token,
	returnTo string,
) (Flow, error) {
	rec, err := m.peekLinkFor(ctx, in, token)
	if err != nil {
		return Flow{}, err
	}
	ua, err := userAuth(in)
	if err != nil {
		return Flow{}, err
	}
	if ua.Type == registry.UserAuthCredentials {
		return Flow{Type: FlowCredentials, Schema: ua.Schema}, nil
	}
	ep, err := m.prepare(ctx, in, returnTo)
	if err != nil {
		return Flow{}, err
	}
	if rec, err = m.takeLink(ctx, token); err != nil {
		return Flow{}, err
	}
	return m.authorize(ctx, in, ep, rec.Principal, returnTo, rec.ConnectionID)
}

// SaveLinkCredentials stores a credential form posted through the connect
// link token, as [Manager.SaveCredentials] does for the link's user (and
// in the dead connection the link renews). Values are checked before the
// link is used up, so a mistake can be corrected; once they are stored
// the link is gone.
func (m *Manager) SaveLinkCredentials(ctx context.Context, in *registry.Integration,
	token string, values json.RawMessage, label string,
) (Connection, error) {
	if _, err := m.peekLinkFor(ctx, in, token); err != nil {
		return Connection{}, err
	}
	fields, err := m.checkForm(in, values)
	if err != nil {
		return Connection{}, err
	}
	if err := checkLabel(strings.TrimSpace(label)); err != nil {
		return Connection{}, err
	}
	rec, err := m.takeLink(ctx, token)
	if err != nil {
		return Connection{}, err
	}
	s := secret{Fields: fields, ObtainedAt: m.clock()}
	return m.save(ctx, in, rec.Principal, rec.ConnectionID, KindCredentials, s, label)
}

// linkGone is the error of a link that cannot be used.
func linkGone() error {
	return switchboard.Errorf(switchboard.CodeNotFound,
		"this connect link is unknown, used or expired: call the action again for a new one")
}

// peekLink returns the usable link token names.
func (m *Manager) peekLink(ctx context.Context, token string) (LinkRecord, error) {
	if !validToken(token) {
		return LinkRecord{}, linkGone()
	}
	rec, err := m.store.ConnectLink(ctx, hashToken(token))
	return m.usable(rec, err)
}

// peekLinkFor is peekLink for a link that must name in.
func (m *Manager) peekLinkFor(ctx context.Context, in *registry.Integration, token string,
) (LinkRecord, error) {
	rec, err := m.peekLink(ctx, token)
	if err == nil && rec.AppID != in.ID() {
		return LinkRecord{}, linkGone()
	}
	return rec, err
}

// takeLink uses up the link token names; of concurrent takes, one wins.
func (m *Manager) takeLink(ctx context.Context, token string) (LinkRecord, error) {
	rec, err := m.store.TakeConnectLink(ctx, hashToken(token))
	return m.usable(rec, err)
}

func (m *Manager) usable(rec LinkRecord, err error) (LinkRecord, error) {
	if switchboard.ErrorCode(err) == switchboard.CodeNotFound {
		return LinkRecord{}, linkGone()
	}
	if err != nil {
		return LinkRecord{}, fmt.Errorf("read connect link: %w", err)
	}
	if !m.now().Before(rec.ExpiresAt) {
		return LinkRecord{}, linkGone()
	}
	return rec, nil
}
