package identity_test

import (
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/identity"
)

// clock is a settable clock, safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newClockedAuth returns an Authenticator on store with clk, logging to the
// returned buffer.
func newClockedAuth(
	t *testing.T, store identity.Store, clk *clock,
) (*identity.Authenticator, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	a, err := identity.New(identity.Config{Store: store, Now: clk.Now,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	require.NoError(t, err)
	return a, logs
}

// requireUnauthenticated fails t unless err is unauthenticated.
func requireUnauthenticated(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, switchboard.CodeUnauthenticated, switchboard.ErrorCode(err), "%v", err)
}

func TestCreateKeyValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		p     switchboard.Principal
		key   string
		paths []string
	}{
		{"valid", robot, "ci", nil},
		{"longest name", robot, strings.Repeat("é", identity.MaxKeyName), nil},
		{"name with spaces and accents", robot, "clé d'accès du CI", nil},
		{"external subject", switchboard.Principal{Kind: switchboard.KindUser,
			ID: "auth0|6543"}, "ci", nil},
		{"zero principal", switchboard.Principal{}, "ci", []string{"principal"}},
		{"operator", switchboard.Operator, "ci", []string{"principal"}},
		{"unknown kind", switchboard.Principal{Kind: "robot", ID: "r"}, "ci",
			[]string{"principal"}},
		{"id with slash", switchboard.Principal{Kind: switchboard.KindApp, ID: "a/b"}, "ci",
			[]string{"principal"}},
		{"empty name", robot, "", []string{"name"}},
		{"name too long", robot, strings.Repeat("x", identity.MaxKeyName+1), []string{"name"}},
		{"newline in name", robot, "ci\nprod", []string{"name"}},
		{"invalid utf-8", robot, "ci\xff", []string{"name"}},
		{"both", switchboard.Principal{}, "", []string{"principal", "name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			store := &fakeStore{}
			a, _ := newAuth(t, store)
			token, k, err := a.CreateKey(t.Context(), tt.p, tt.key)
			if tt.paths == nil {
				require.NoError(t, err)
				require.NotEmpty(t, token)
				require.Equal(t, tt.key, k.Name)
				return
			}
			e, ok := errors.AsType[*switchboard.Error](err)
			require.True(t, ok, "%v", err)
			require.Equal(t, switchboard.CodeInvalidInput, e.Code)
			var paths []string
			for _, fe := range e.Errors {
				paths = append(paths, fe.Path)
			}
			require.Equal(t, tt.paths, paths)
			require.Empty(t, token)
			require.Empty(t, store.stored())
		})
	}
}

func TestListKeys(t *testing.T) {
	t.Parallel()
	clk := newClock()
	store := &fakeStore{}
	a, _ := newClockedAuth(t, store, clk)
	ann := switchboard.Principal{Kind: switchboard.KindUser, ID: "ann"}

	var tokens []string
	for _, p := range []switchboard.Principal{robot, ann, robot} {
		token, _, err := a.CreateKey(t.Context(), p, "key of "+p.String())
		require.NoError(t, err)
		tokens = append(tokens, token)
		clk.Add(time.Second)
	}

	tests := []struct {
		name  string
		p     switchboard.Principal
		owner []string
	}{
		{"all", switchboard.Principal{}, []string{"agent:robot", "user:ann", "agent:robot"}},
		{"one principal", robot, []string{"agent:robot", "agent:robot"}},
		{"another", ann, []string{"user:ann"}},
		{"none", switchboard.Principal{Kind: switchboard.KindApp, ID: "x"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			keys, err := a.ListKeys(t.Context(), tt.p)
			require.NoError(t, err)
			var owners []string
			for i, k := range keys {
				owners = append(owners, k.Principal)
				require.Nil(t, k.Hash, "the hash stays in the store")
				require.Nil(t, k.LastUsedAt)
				if i > 0 {
					require.True(t, keys[i-1].CreatedAt.Before(k.CreatedAt))
				}
				for _, token := range tokens {
					body := token[len(identity.KeyPrefix):]
					require.NotContains(t, k.ID+k.Name+k.Principal, body)
				}
			}
			require.Equal(t, tt.owner, owners)
		})
	}
}

func TestListKeysStoreFault(t *testing.T) {
	t.Parallel()
	a, _ := newAuth(t, &fakeStore{fault: errors.New("no database")})
	_, err := a.ListKeys(t.Context(), robot)
	require.Equal(t, switchboard.CodeInternal, switchboard.ErrorCode(err))
}

// TestRevokeKeyWithWarmCache checks that a revocation through the
// Authenticator refuses the very next request, though the key is cached.
func TestRevokeKeyWithWarmCache(t *testing.T) {
	t.Parallel()
	store := &fakeStore{}
	a, logs := newAuth(t, store)
	token, k, err := a.CreateKey(t.Context(), robot, "ci")
	require.NoError(t, err)
	other, _, err := a.CreateKey(t.Context(), robot, "other")
	require.NoError(t, err)

	for range 3 {
		c, err := a.AuthenticateRequest(t.Context(), token)
		require.NoError(t, err)
		require.Equal(t, identity.Caller{Principal: robot, Via: identity.ViaAPIKey,
			KeyID: k.ID}, c)
	}
	require.Equal(t, 1, store.lookupCount(), "the cache answers after the first")

	require.NoError(t, a.RevokeKey(t.Context(), k.ID))
	_, err = a.Authenticate(t.Context(), token)
	requireUnauthenticated(t, err)
	_, err = a.Authenticate(t.Context(), other)
	require.NoError(t, err, "the other key still works")

	err = a.RevokeKey(t.Context(), k.ID)
	require.Equal(t, switchboard.CodeNotFound, switchboard.ErrorCode(err))
	err = a.RevokeKey(t.Context(), "key_000000000000")
	require.Equal(t, switchboard.CodeNotFound, switchboard.ErrorCode(err))

	require.Contains(t, logs.String(), "api key revoked")
	require.NotContains(t, logs.String(), token[len(identity.KeyPrefix):])
}

// TestRevokedElsewhere checks that a key deleted by another process is
// refused once the change feed flushes the cache.
func TestRevokedElsewhere(t *testing.T) {
	t.Parallel()
	store := &fakeStore{}
	a, _ := newAuth(t, store)
	token, k, err := a.CreateKey(t.Context(), robot, "ci")
	require.NoError(t, err)
	_, err = a.Authenticate(t.Context(), token)
	require.NoError(t, err)

	require.NoError(t, store.DeleteAPIKey(t.Context(), k.ID))
	_, err = a.Authenticate(t.Context(), token)
	require.NoError(t, err, "cached until the change feed moves")
	a.Flush()
	_, err = a.Authenticate(t.Context(), token)
	requireUnauthenticated(t, err)
}

func TestRevokeKeysOf(t *testing.T) {
	t.Parallel()
	store := &fakeStore{}
	a, _ := newAuth(t, store)
	ann := switchboard.Principal{Kind: switchboard.KindUser, ID: "ann"}
	var robots []string
	for _, name := range []string{"one", "two"} {
		token, _, err := a.CreateKey(t.Context(), robot, name)
		require.NoError(t, err)
		robots = append(robots, token)
	}
	anns, _, err := a.CreateKey(t.Context(), ann, "ann's")
	require.NoError(t, err)
	for _, token := range append(robots, anns) {
		_, err := a.Authenticate(t.Context(), token)
		require.NoError(t, err)
	}

	n, err := a.RevokeKeysOf(t.Context(), robot)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	for _, token := range robots {
		_, err := a.Authenticate(t.Context(), token)
		requireUnauthenticated(t, err)
	}
	p, err := a.Authenticate(t.Context(), anns)
	require.NoError(t, err)
	require.Equal(t, ann, p)

	n, err = a.RevokeKeysOf(t.Context(), robot)
	require.NoError(t, err)
	require.Zero(t, n)
	for _, p := range []switchboard.Principal{{}, switchboard.Operator} {
		_, err = a.RevokeKeysOf(t.Context(), p)
		require.Equal(t, switchboard.CodeInvalidInput, switchboard.ErrorCode(err), p.String())
	}
}

func TestLastUseThrottled(t *testing.T) {
	t.Parallel()
	clk := newClock()
	store := &fakeStore{}
	a, _ := newClockedAuth(t, store, clk)
	token, k, err := a.CreateKey(t.Context(), robot, "ci")
	require.NoError(t, err)
	start := clk.Now()

	steps := []struct {
		name    string
		advance time.Duration
		want    []time.Time // touches so far
	}{
		{"first use is recorded", 0, []time.Time{start}},
		{"a use within the minute is not", 30 * time.Second, []time.Time{start}},
		{"nor one just under the minute", 29 * time.Second, []time.Time{start}},
		{"a minute later it is", time.Second, []time.Time{start, start.Add(time.Minute)}},
	}
	for _, s := range steps {
		clk.Add(s.advance)
		_, err := a.Authenticate(t.Context(), token)
		require.NoError(t, err, s.name)
		var got []time.Time
		for _, tc := range store.touched() {
			require.Equal(t, k.ID, tc.id)
			got = append(got, tc.at)
		}
		require.Equal(t, s.want, got, s.name)
	}

	keys, err := a.ListKeys(t.Context(), robot)
	require.NoError(t, err)
	require.Len(t, keys, 1)
	require.Equal(t, start.Add(time.Minute), *keys[0].LastUsedAt)
}

func TestLastUseConcurrent(t *testing.T) {
	t.Parallel()
	store := &fakeStore{}
	a, _ := newClockedAuth(t, store, newClock())
	token, _, err := a.CreateKey(t.Context(), robot, "ci")
	require.NoError(t, err)

	const n = 32
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, errs[i] = a.Authenticate(t.Context(), token) })
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
	require.Len(t, store.touched(), 1, "one record per key per minute")
}

// TestLastUseFailureKeepsRequest checks that a failing record of last use
// neither fails the request nor logs the key.
func TestLastUseFailureKeepsRequest(t *testing.T) {
	t.Parallel()
	store := &fakeStore{touchFault: errors.New("database is locked")}
	a, logs := newAuth(t, store)
	token, k, err := a.CreateKey(t.Context(), robot, "ci")
	require.NoError(t, err)

	p, err := a.Authenticate(t.Context(), token)
	require.NoError(t, err)
	require.Equal(t, robot, p)
	require.Contains(t, logs.String(), "api key use not recorded")
	require.Contains(t, logs.String(), k.ID)
	require.NotContains(t, logs.String(), token[len(identity.KeyPrefix):])
}
