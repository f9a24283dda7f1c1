package credentials_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/credentials"
	"github.com/switchboard-dev/switchboard/credentials/oauthtest"
	"github.com/switchboard-dev/switchboard/registry"
	"github.com/switchboard-dev/switchboard/vault"
)

const refreshGrant = "refresh_token"

// storedSecret opens the credentials stored for connection id: what the
// manager keeps, read here only to check it.
func (e *env) storedSecret(id string) map[string]any {
	e.t.Helper()
	sealed, err := e.store.Secret(e.t.Context(), credentials.VaultScope, id)
	require.NoError(e.t, err)
	b, err := e.vault.Open(e.t.Context(), credentials.VaultScope, id, sealed)
	require.NoError(e.t, err)
	var s map[string]any
	require.NoError(e.t, json.Unmarshal(b, &s))
	return s
}

func TestRefreshBeforeExpiry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		oauth     func(*registry.OAuthSpec)
		expiresIn time.Duration
		early     time.Duration // not refreshed yet
		due       time.Duration // refreshed
	}{
		{"default margin of five minutes", nil, time.Hour, 54 * time.Minute, 55 * time.Minute},
		{"manifest margin", func(s *registry.OAuthSpec) {
			s.RefreshMargin = registry.Duration(10 * time.Minute)
		}, time.Hour, 49 * time.Minute, 50 * time.Minute},
		{"margin at most half the lifetime", nil, 4 * time.Minute, time.Minute, 2 * time.Minute},
		{"on expiry", func(s *registry.OAuthSpec) {
			s.Refresh = registry.RefreshOnExpiry
		}, time.Hour, 59 * time.Minute, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(o *options) { o.oauth = tt.oauth })
			e.provider.SetExpiresIn(tt.expiresIn)
			c := e.connect(alice)
			first := e.token(alice)

			e.clock.Advance(tt.early)
			require.Equal(t, first, e.token(alice))
			require.Zero(t, e.provider.Calls(refreshGrant))

			e.clock.Advance(tt.due - tt.early)
			renewed := e.token(alice)
			require.NotEqual(t, first, renewed)
			require.Equal(t, 1, e.provider.Calls(refreshGrant))
			require.Equal(t, renewed, e.token(alice), "the new token is used from then on")
			require.Equal(t, 1, e.provider.Calls(refreshGrant))
			require.Equal(t, t0.Add(tt.due+tt.expiresIn), e.connection(alice, c.ID).ExpiresAt)
		})
	}
}

func TestRefreshRotatesRefreshToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.connect(alice)
	old := e.storedSecret(c.ID)["refreshToken"]

	e.clock.Advance(time.Hour)
	_, status := e.whoami(e.token(alice))
	require.Equal(t, http.StatusOK, status)
	rotated := e.storedSecret(c.ID)["refreshToken"]
	require.NotEqual(t, old, rotated)
	require.Equal(t, e.provider.RefreshToken(), rotated)
	require.False(t, e.provider.RefreshTokenValid(old.(string)))

	// The stored one is the one that works next time.
	e.clock.Advance(time.Hour)
	e.token(alice)
	require.Equal(t, 2, e.provider.Calls(refreshGrant))
	require.Equal(t, credentials.StatusActive, e.connection(alice, c.ID).Status)
}

func TestRefreshKeepsRefreshTokenWhenOmitted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.connect(alice)
	kept := e.storedSecret(c.ID)["refreshToken"]
	e.provider.OmitRefreshToken(true)

	for range 2 {
		e.clock.Advance(time.Hour)
		e.token(alice)
		require.Equal(t, kept, e.storedSecret(c.ID)["refreshToken"])
	}
	require.Equal(t, 2, e.provider.Calls(refreshGrant))
}

func TestRefreshExpiresInDecidesExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.connect(alice)

	e.provider.SetExpiresIn(2 * time.Hour)
	e.clock.Advance(time.Hour)
	e.token(alice)
	require.Equal(t, t0.Add(3*time.Hour), e.connection(alice, c.ID).ExpiresAt)

	// Without expires_in the token has no known expiry and is kept.
	e.provider.SetExpiresIn(0)
	e.clock.Advance(2 * time.Hour)
	at := e.token(alice)
	require.True(t, e.connection(alice, c.ID).ExpiresAt.IsZero())
	e.clock.Advance(1000 * time.Hour)
	require.Equal(t, at, e.token(alice))
	require.Equal(t, 2, e.provider.Calls(refreshGrant))
}

func TestRefreshParsesFormats(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		format oauthtest.Format
		oauth  func(*registry.OAuthSpec)
	}{
		{"form-encoded", oauthtest.FormatForm, nil},
		{"wrapped", oauthtest.FormatWrapped, func(s *registry.OAuthSpec) {
			s.TokenFields = oauthtest.WrappedFields()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(o *options) { o.oauth = tt.oauth })
			e.provider.SetFormat(tt.format)
			c := e.connect(alice)
			require.Equal(t, t0.Add(time.Hour), c.ExpiresAt)
			_, status := e.whoami(e.token(alice))
			require.Equal(t, http.StatusOK, status)

			e.clock.Advance(time.Hour)
			_, status = e.whoami(e.token(alice))
			require.Equal(t, http.StatusOK, status)
			require.Equal(t, e.provider.RefreshToken(), e.storedSecret(c.ID)["refreshToken"])
		})
	}
}

func TestRefreshRetryableFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		failure oauthtest.Failure
	}{
		{"html", oauthtest.HTMLPage},
		{"empty", oauthtest.EmptyBody},
		{"server error", oauthtest.ServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			c := e.connect(alice)
			before := e.storedSecret(c.ID)

			// Expired: the call fails, saying to try again.
			e.provider.FailNext(tt.failure, 1)
			e.clock.Advance(time.Hour)
			_, err := e.resolve(alice, "")
			failure := requireCode(t, err, switchboard.CodeUpstream)
			require.Contains(t, failure.Message, "try again")
			require.Equal(t, before, e.storedSecret(c.ID), "stored tokens untouched")
			got := e.connection(alice, c.ID)
			require.Equal(t, credentials.StatusActive, got.Status)
			require.NotEmpty(t, got.LastError)

			// The next call renews with the same refresh token.
			_, status := e.whoami(e.token(alice))
			require.Equal(t, http.StatusOK, status)
			require.Equal(t, 2, e.provider.Calls(refreshGrant))
			require.Empty(t, e.connection(alice, c.ID).LastError)
		})
	}
}

func TestRefreshFailureBeforeExpiryKeepsToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.connect(alice)
	at := e.token(alice)

	e.provider.FailNext(oauthtest.ServerError, 1)
	e.clock.Advance(56 * time.Minute)
	require.Equal(t, at, e.token(alice), "the token still works")
	require.NotEmpty(t, e.connection(alice, c.ID).LastError)
	require.NotEqual(t, at, e.token(alice), "renewed on the next call")
	require.Equal(t, 2, e.provider.Calls(refreshGrant))
}

func TestGitHubsBadRefreshTokenKillsConnection(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.connect(alice)
	e.provider.FailNext(oauthtest.BadRefreshToken, 1)
	e.clock.Advance(time.Hour)
	_, err := e.resolve(alice, "")
	requireCode(t, err, switchboard.CodeNotConnected)
	dead := e.connection(alice, c.ID)
	require.Equal(t, credentials.StatusDead, dead.Status)
	require.Contains(t, dead.LastError, "bad_refresh_token")
}

func TestInvalidGrantKillsConnection(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.connect(alice)
	e.provider.RevokeAll()
	e.clock.Advance(time.Hour)

	_, err := e.resolve(alice, "")
	nc := requireCode(t, err, switchboard.CodeNotConnected)
	require.NotEmpty(t, nc.ConnectURL)
	dead := e.connection(alice, c.ID)
	require.Equal(t, credentials.StatusDead, dead.Status)
	require.Contains(t, dead.LastError, "invalid_grant")
	require.Equal(t, 1, e.provider.Calls(refreshGrant))
	require.Contains(t, e.audit.events(), audit.EventConnectionRefreshFailed)

	// Later calls fail at once, by default or by id, without the provider.
	for _, id := range []string{"", c.ID} {
		_, err = e.resolve(alice, id)
		requireCode(t, err, switchboard.CodeNotConnected)
	}
	_, err = e.m.Refresh(t.Context(), e.in, alice, c.ID)
	requireCode(t, err, switchboard.CodeNotConnected)
	require.Equal(t, 1, e.provider.Calls(refreshGrant))
	connected, count, deadCount, err := e.m.Status(t.Context(), "acme", alice)
	require.NoError(t, err)
	require.Equal(t, []any{false, 1, 1}, []any{connected, count, deadCount})

	// The link renews the same connection.
	var renewed credentials.Connection
	require.Equal(t, http.StatusOK, visit(t, browser(t), nc.ConnectURL, &renewed))
	require.Equal(t, c.ID, renewed.ID)
	require.Equal(t, credentials.StatusActive, e.connection(alice, c.ID).Status)
	_, status := e.whoami(e.token(alice))
	require.Equal(t, http.StatusOK, status)
}

func TestNoRefreshTokenExpiresWithAccessToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.provider.OmitRefreshToken(true)
	c := e.connect(alice)
	at := e.token(alice)

	e.clock.Advance(59 * time.Minute)
	require.Equal(t, at, e.token(alice), "nothing to renew it with before it expires")
	e.clock.Advance(time.Minute)
	_, err := e.resolve(alice, "")
	requireCode(t, err, switchboard.CodeNotConnected)
	require.Equal(t, credentials.StatusDead, e.connection(alice, c.ID).Status)
	require.Zero(t, e.provider.Calls(refreshGrant))
}

func TestClientCredentialsPlatformConnection(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *options) {
		o.oauth = func(s *registry.OAuthSpec) {
			s.Grant, s.AuthorizationURL = registry.GrantClientCredentials, ""
		}
	})
	e.act.Credentials = registry.CredentialsPlatform
	const grant = "client_credentials"

	// A first grant that fails gives no token.
	e.provider.FailNext(oauthtest.ServerError, 1)
	_, err := e.resolve(switchboard.Principal{}, "")
	requireCode(t, err, switchboard.CodeUpstream)

	v, err := e.resolve(switchboard.Principal{}, "")
	require.NoError(t, err)
	who, status := e.whoami(v["accessToken"])
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "client:"+e.provider.ClientID, who)
	again, err := e.resolve(alice, "platform_acme")
	require.NoError(t, err)
	require.Equal(t, v, again)
	require.Equal(t, 2, e.provider.Calls(grant))

	e.clock.Advance(time.Hour)
	renewed, err := e.resolve(bob, "")
	require.NoError(t, err)
	require.NotEqual(t, v["accessToken"], renewed["accessToken"])
	require.Equal(t, 3, e.provider.Calls(grant))

	_, err = e.resolve(alice, "conn_other")
	requireCode(t, err, switchboard.CodeNotFound)
	list, err := e.m.Connections(t.Context(), "acme", alice)
	require.NoError(t, err)
	require.Empty(t, list, "the platform's connection is no user's")
}

func TestClientAuthFallsBackToBody(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.provider.SetClientAuth("body")
	e.connect(alice)
	require.Equal(t, 2, e.provider.Calls("authorization_code"), "basic, then body")

	e.clock.Advance(time.Hour)
	e.token(alice)
	require.Equal(t, 1, e.provider.Calls(refreshGrant), "body remembered")
}

// failingStore fails UpdateConnection with new credentials while fail is
// set.
type failingStore struct {
	testStore
	fail atomic.Bool
}

func (s *failingStore) UpdateConnection(ctx context.Context, id, holder string,
	u credentials.ConnectionUpdate,
) error {
	if u.Sealed != nil && s.fail.Load() {
		return errors.New("disk full")
	}
	return s.testStore.UpdateConnection(ctx, id, holder, u)
}

func TestRenewedTokenSavedBeforeUse(t *testing.T) {
	t.Parallel()
	handles, _ := database(t, onSQLite, 1)
	fs := &failingStore{testStore: handles[0]}
	e := newEnv(t, func(o *options) { o.store = fs })
	e.connect(alice)

	fs.fail.Store(true)
	e.clock.Advance(time.Hour)
	v, err := e.resolve(alice, "")
	require.Error(t, err)
	require.Nil(t, v)
	require.Equal(t, 1, e.provider.Calls(refreshGrant))
	require.Contains(t, e.logs.String(), "renewed token not saved")

	// The rotated token is lost with the failed write; the connection
	// dies at the next refresh rather than using a token it never kept.
	fs.fail.Store(false)
	_, err = e.resolve(alice, "")
	requireCode(t, err, switchboard.CodeNotConnected)
}

func TestConcurrentRefreshAcrossManagers(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, kind storeKind) {
		handles, _ := database(t, kind, 2)
		a := newEnv(t, func(o *options) { o.store = handles[0] })
		b := newEnv(t, func(o *options) {
			o.store, o.prov, o.clock = handles[1], a.provider, a.clock
		})
		c := a.connect(alice)
		old := a.token(alice)
		a.provider.SetDelay(100 * time.Millisecond)
		a.clock.Advance(time.Hour)

		const n = 20
		tokens := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				v, err := []*env{a, b}[i%2].resolve(alice, "")
				tokens[i], errs[i] = v["accessToken"], err
			})
		}
		wg.Wait()

		require.NoError(t, errors.Join(errs...))
		require.Equal(t, 1, a.provider.Calls(refreshGrant))
		for _, tok := range tokens {
			require.Equal(t, tokens[0], tok)
		}
		require.NotEqual(t, old, tokens[0])
		_, status := a.whoami(tokens[0])
		require.Equal(t, http.StatusOK, status)
		require.Equal(t, a.provider.RefreshToken(), a.storedSecret(c.ID)["refreshToken"])
		require.Equal(t, a.provider.RefreshToken(), b.storedSecret(c.ID)["refreshToken"])
	})
}

func TestExplicitConnection(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	first := e.connect(alice)
	e.clock.Advance(time.Second)
	second := e.connect(alice)
	mine := e.connect(bob)
	require.Equal(t, "Acme 2", second.Label)

	tokenOf := func(user switchboard.Principal, id string) string {
		v, err := e.resolve(user, id)
		require.NoError(t, err)
		return v["accessToken"]
	}
	require.Equal(t, tokenOf(alice, first.ID), tokenOf(alice, ""), "the oldest by default")
	require.NotEqual(t, tokenOf(alice, first.ID), tokenOf(alice, second.ID))

	for _, id := range []string{mine.ID, "conn_nope"} {
		_, err := e.resolve(alice, id)
		requireCode(t, err, switchboard.CodeNotFound)
	}

	// With the oldest dead, the next active one is used.
	require.NoError(t, e.m.Delete(t.Context(), "acme", alice, first.ID))
	require.Equal(t, tokenOf(alice, second.ID), tokenOf(alice, ""))
}

// TestMovedCredentialsDoNotOpen checks that credentials moved to another connection do
// not open: the connection id is part of what sealed them.
func TestMovedCredentialsDoNotOpen(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b := e.connect(alice), e.connect(alice)
	sealed, err := e.store.Secret(t.Context(), credentials.VaultScope, a.ID)
	require.NoError(t, err)
	require.NoError(t, e.store.PutSecret(t.Context(), credentials.VaultScope, b.ID, sealed))

	_, err = e.resolve(alice, b.ID)
	require.ErrorIs(t, err, vault.ErrDecrypt)
}
