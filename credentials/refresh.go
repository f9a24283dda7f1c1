package credentials

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"time"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/internal/logkey"
	"github.com/switchboard-dev/switchboard/registry"
)

// How a process waits while another refreshes a connection: polls that
// back off from pollMin to pollMax.
const (
	pollMin = 10 * time.Millisecond
	pollMax = 250 * time.Millisecond
)

// errNoRefreshToken is a connection whose provider gave no refresh token.
var errNoRefreshToken = errors.New("no refresh token")

// policy is how an integration's tokens are kept fresh.
type policy struct {
	onExpiry bool
	margin   time.Duration
}

func policyOf(in *registry.Integration) policy {
	p := policy{margin: DefaultRefreshMargin}
	spec := in.Manifest.UserAuth.OAuth
	if spec == nil {
		return p
	}
	p.onExpiry = spec.Refresh == registry.RefreshOnExpiry
	if spec.RefreshMargin > 0 {
		p.margin = time.Duration(spec.RefreshMargin)
	}
	return p
}

// due reports whether the token of s needs renewing at now: when there is
// none; under on_expiry, or without a refresh token, once it has expired;
// otherwise within the margin of its expiry, a margin never more than half
// the token's lifetime. A token without a known expiry is never due.
func (p policy) due(kind Kind, s secret, now time.Time) bool {
	switch {
	case kind == KindCredentials:
		return false
	case s.AccessToken == "":
		return true
	case s.ExpiresAt.IsZero():
		return false
	case p.onExpiry || (kind == KindOAuth2 && s.RefreshToken == ""):
		return s.expired(now)
	}
	margin := p.margin
	if life := s.ExpiresAt.Sub(s.ObtainedAt); life > 0 && margin > life/2 {
		margin = life / 2
	}
	return !now.Before(s.ExpiresAt.Add(-margin))
}

// refresh renews sc's token, once per connection at a time in this process
// and, through the store's lease, across processes. A caller that finds
// the work done by another uses its token. With force the token is renewed
// even when not due, unless another renewal happens meanwhile.
func (m *Manager) refresh(ctx context.Context, in *registry.Integration, sc StoredConnection,
	force bool,
) (map[string]string, error) {
	key := sc.ID
	if force {
		key += "\x00force"
	}
	return m.flights.do(ctx, key, func(ctx context.Context) (map[string]string, error) {
		return m.renew(ctx, in, sc.ID, force, sc.Generation)
	})
}

// renew takes the connection's refresh lease and renews its token, or
// waits for whoever holds the lease and uses what they stored. seen is the
// generation of the credentials the caller read.
func (m *Manager) renew(ctx context.Context, in *registry.Integration, id string, force bool,
	seen int64,
) (map[string]string, error) {
	pol := policyOf(in)
	// Real time: the wait is for another process, whatever the clock says.
	giveUp := time.Now().Add(m.leaseTTL + m.leaseTTL/2)
	delay := pollMin
	for {
		now := m.now()
		holder, held, sc, s, err := m.tryLease(ctx, id, now)
		if err != nil {
			return nil, err
		}

		fresh := !pol.due(sc.Kind, s, now)
		if force {
			fresh = sc.Generation != seen
		}
		switch {
		case sc.Status == StatusDead:
			m.release(ctx, id, holder, held)
			return nil, m.notConnected(ctx, in, sc.Principal, &sc.Connection)
		case fresh:
			m.release(ctx, id, holder, held)
			return s.values(sc.Kind), nil
		case held:
			return m.renewHeld(ctx, in, sc, s, holder, force)
		case !force && s.usable(now):
			// Another process renews it; the token still works meanwhile.
			return s.values(sc.Kind), nil
		}

		if time.Now().After(giveUp) {
			return nil, switchboard.Errorf(switchboard.CodeTimeout,
				"%s: another server is renewing the connection's token; try again", name(in))
		}
		time.Sleep(delay)
		delay = min(2*delay, pollMax)
	}
}

// tryLease asks for the refresh lease of connection id at now, under a
// new holder name, and then reads the connection: what it holds once the
// lease is taken is what any earlier holder stored.
func (m *Manager) tryLease(ctx context.Context, id string, now time.Time,
) (holder string, held bool, sc StoredConnection, s secret, err error) {
	holder = fmt.Sprintf("%s-%d", m.holder, m.leases.Add(1))
	held, err = m.store.AcquireRefreshLease(ctx, id, holder, now, now.Add(m.leaseTTL))
	if switchboard.ErrorCode(err) == switchboard.CodeNotFound {
		return "", false, sc, s, connectionNotFound(id)
	}
	if err != nil {
		return "", false, sc, s, fmt.Errorf("refresh connection %s: %w", id, err)
	}
	if sc, s, err = m.load(ctx, id); err != nil {
		m.release(ctx, id, holder, held)
		return "", false, sc, s, err
	}
	return holder, held, sc, s, nil
}

// load reads connection id and opens its credentials.
func (m *Manager) load(ctx context.Context, id string) (StoredConnection, secret, error) {
	sc, err := m.store.Connection(ctx, id)
	if switchboard.ErrorCode(err) == switchboard.CodeNotFound {
		return StoredConnection{}, secret{}, connectionNotFound(id)
	}
	if err != nil {
		return StoredConnection{}, secret{}, fmt.Errorf("read connection %s: %w", id, err)
	}
	s, err := m.open(ctx, sc)
	return sc, s, err
}

// release gives up a lease that was taken.
func (m *Manager) release(ctx context.Context, id, holder string, held bool) {
	if !held {
		return
	}
	if err := m.store.ReleaseRefreshLease(ctx, id, holder); err != nil {
		m.log.WarnContext(ctx, "refresh lease not released; it expires on its own",
			slog.String(logkey.Connection, id), slog.Any(logkey.Err, err))
	}
}

// renewHeld renews sc's token under holder's lease. The new credentials
// are stored, releasing the lease, before the new access token is returned.
func (m *Manager) renewHeld(ctx context.Context, in *registry.Integration, sc StoredConnection,
	s secret, holder string, force bool,
) (map[string]string, error) {
	// The token request ends well before the lease can expire.
	callCtx, cancel := context.WithTimeout(ctx, m.leaseTTL/2)
	t, err := m.renewToken(callCtx, in, sc.Kind, s)
	cancel()
	now := m.clock()
	switch {
	case errors.Is(err, errNoRefreshToken) && s.usable(now):
		m.release(ctx, sc.ID, holder, true)
		return s.values(sc.Kind), nil
	case errors.Is(err, errNoRefreshToken):
		why := "the access token expired and the provider gave no refresh token"
		return nil, m.renewFailed(ctx, in, sc, holder, why, true, switchboard.CodeNotConnected)
	case err != nil:
		return m.tokenRefused(ctx, in, sc, s, holder, err, force)
	}

	next := s.renewed(t, now)
	sealed, err := m.seal(sc.ID, next)
	if err != nil {
		m.release(ctx, sc.ID, holder, true)
		return nil, err
	}
	err = m.store.UpdateConnection(ctx, sc.ID, holder, ConnectionUpdate{
		Sealed: sealed, ExpiresAt: next.ExpiresAt, Status: StatusActive, At: now,
	})
	if err != nil {
		m.log.ErrorContext(ctx, "renewed token not saved; the connection may need reconnecting",
			append(attrs(sc.Connection), slog.Any(logkey.Err, err))...)
		m.release(ctx, sc.ID, holder, true)
		return nil, fmt.Errorf("save renewed token of connection %s: %w", sc.ID, err)
	}
	m.log.InfoContext(ctx, "token refreshed", attrs(sc.Connection)...)
	return next.values(sc.Kind), nil
}

// renewToken asks the provider for a new token: a refresh grant, or a new
// client credentials grant.
func (m *Manager) renewToken(ctx context.Context, in *registry.Integration, kind Kind,
	s secret,
) (token, error) {
	if kind == KindOAuth2 && s.RefreshToken == "" {
		return token{}, errNoRefreshToken
	}
	ep, err := m.endpoint(ctx, in, true)
	if err != nil {
		return token{}, err
	}
	if kind == KindClientCredentials {
		return m.clientCredentials(ctx, ep)
	}
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {s.RefreshToken}}
	return m.requestToken(ctx, ep, form, s.RefreshToken, s.AccessToken)
}

// clientCredentials asks for the platform's token.
func (m *Manager) clientCredentials(ctx context.Context, ep *endpoint) (token, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	if s := scopes(ep.spec); s != "" {
		form.Set("scope", s)
	}
	return m.requestToken(ctx, ep, form)
}

// tokenRefused handles a renewal that failed: invalid_grant kills a user's
// connection; anything else leaves the stored tokens as they are, and a
// token that still works is used.
func (m *Manager) tokenRefused(ctx context.Context, in *registry.Integration,
	sc StoredConnection, s secret, holder string, err error, force bool,
) (map[string]string, error) {
	te, ok := errors.AsType[*tokenError](err)
	if !ok {
		m.release(ctx, sc.ID, holder, true)
		return nil, err
	}
	if te.invalidGrant() && sc.Kind == KindOAuth2 {
		return nil, m.renewFailed(ctx, in, sc, holder, te.Summary(), true,
			switchboard.CodeNotConnected)
	}
	failure := tokenFailure(in, err)
	if err := m.renewFailed(ctx, in, sc, holder, te.Summary(), false,
		switchboard.ErrorCode(failure)); err != nil {
		return nil, err
	}
	if !force && s.usable(m.now()) {
		return s.values(sc.Kind), nil
	}
	return nil, failure
}

// renewFailed records why sc could not be renewed and releases holder's
// lease; a dead connection answers not_connected from then on. It returns
// the error a caller gets for a dead connection, nil otherwise unless the
// store fails.
func (m *Manager) renewFailed(ctx context.Context, in *registry.Integration,
	sc StoredConnection, holder, why string, dead bool, code switchboard.Code,
) error {
	u := ConnectionUpdate{Status: StatusActive, LastError: why, At: m.clock()}
	if dead {
		u.Status = StatusDead
	}
	if err := m.store.UpdateConnection(ctx, sc.ID, holder, u); err != nil {
		m.release(ctx, sc.ID, holder, true)
		return fmt.Errorf("record failed refresh of connection %s: %w", sc.ID, err)
	}
	sc.Status, sc.LastError = u.Status, u.LastError
	m.noteQuietly(ctx, audit.EventConnectionRefreshFailed, sc.Connection, code,
		map[string]string{"dead": strconv.FormatBool(dead)})
	if !dead {
		m.log.WarnContext(ctx, "token refresh failed",
			append(attrs(sc.Connection), slog.String(logkey.Err, why))...)
		return nil
	}
	m.log.WarnContext(ctx, "connection dead",
		append(attrs(sc.Connection), slog.String(logkey.Err, why))...)
	return m.notConnected(ctx, in, sc.Principal, &sc.Connection)
}
