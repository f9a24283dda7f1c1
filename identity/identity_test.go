package identity_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/identity"
	"github.com/switchboard-dev/switchboard/store/sqlite"
)

// fakeStore keeps keys in memory and records every key it is given, how
// often it was read by hash, and every touch.
type fakeStore struct {
	mu      sync.Mutex
	keys    []identity.APIKey
	lookups int
	touches []touch
	// fault, when set, is returned by every method; touchFault by
	// TouchAPIKey alone.
	fault, touchFault error
}

// touch is one call of TouchAPIKey.
type touch struct {
	id string
	at time.Time
}

var _ identity.Store = (*fakeStore)(nil)

func (s *fakeStore) CreateAPIKey(_ context.Context, k identity.APIKey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fault != nil {
		return s.fault
	}
	s.keys = append(s.keys, k)
	return nil
}

func (s *fakeStore) APIKeyByHash(_ context.Context, hash []byte) (identity.APIKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lookups++
	if s.fault != nil {
		return identity.APIKey{}, s.fault
	}
	for _, k := range s.keys {
		if bytes.Equal(k.Hash, hash) {
			return k, nil
		}
	}
	return identity.APIKey{}, switchboard.Errorf(switchboard.CodeNotFound, "no such key")
}

func (s *fakeStore) CountAPIKeys(context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fault != nil {
		return 0, s.fault
	}
	return len(s.keys), nil
}

func (s *fakeStore) ListAPIKeys(_ context.Context, principal string) ([]identity.APIKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fault != nil {
		return nil, s.fault
	}
	var out []identity.APIKey
	for _, k := range s.keys {
		if principal == "" || k.Principal == principal {
			out = append(out, k)
		}
	}
	slices.SortStableFunc(out, func(a, b identity.APIKey) int {
		return a.CreatedAt.Compare(b.CreatedAt)
	})
	return out, nil
}

func (s *fakeStore) DeleteAPIKey(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fault != nil {
		return s.fault
	}
	n := len(s.keys)
	s.keys = slices.DeleteFunc(s.keys, func(k identity.APIKey) bool { return k.ID == id })
	if len(s.keys) == n {
		return switchboard.Errorf(switchboard.CodeNotFound, "api key not found")
	}
	return nil
}

func (s *fakeStore) DeleteAPIKeysOf(_ context.Context, principal string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fault != nil {
		return 0, s.fault
	}
	n := len(s.keys)
	s.keys = slices.DeleteFunc(s.keys, func(k identity.APIKey) bool {
		return k.Principal == principal
	})
	return n - len(s.keys), nil
}

func (s *fakeStore) TouchAPIKey(_ context.Context, id string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fault != nil {
		return s.fault
	}
	if s.touchFault != nil {
		return s.touchFault
	}
	s.touches = append(s.touches, touch{id, at})
	for i, k := range s.keys {
		if k.ID == id && (k.LastUsedAt == nil || k.LastUsedAt.Before(at)) {
			s.keys[i].LastUsedAt = &at
		}
	}
	return nil
}

func (s *fakeStore) stored() []identity.APIKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]identity.APIKey(nil), s.keys...)
}

func (s *fakeStore) lookupCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lookups
}

func (s *fakeStore) touched() []touch {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]touch(nil), s.touches...)
}

func (s *fakeStore) setFault(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = err
}

// logBuffer collects log output; it is safe for concurrent use, since
// keys' last use is written down in the background.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newAuth returns an Authenticator on store whose log goes to the
// returned buffer.
func newAuth(t *testing.T, store identity.Store) (*identity.Authenticator, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	a, err := identity.New(identity.Config{Store: store,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	require.NoError(t, err)
	return a, logs
}

var robot = switchboard.Principal{Kind: switchboard.KindAgent, ID: "robot"}

func TestNewRequiresStore(t *testing.T) {
	t.Parallel()
	_, err := identity.New(identity.Config{})
	require.Error(t, err)
}

func TestAuthenticateRefuses(t *testing.T) {
	t.Parallel()
	const invalid = "the bearer token is not a valid Switchboard key"
	// Tokens of the right shape but of no key; their text must never come
	// back in an error.
	unknown := identity.KeyPrefix + strings.Repeat("Zq", 21) + "Z"
	tests := []struct {
		name  string
		token string
		want  string
	}{
		{"empty", "", "a bearer token is required"},
		{"wrong prefix", "sbx_" + strings.Repeat("Qw", 21) + "Q", invalid},
		{"no prefix", strings.Repeat("Qw", 23) + "Q", invalid},
		{"too short", identity.KeyPrefix + "QwQwQw", invalid},
		{"too long", unknown + "Q", invalid},
		{"unknown key", unknown, invalid},
	}
	store := &fakeStore{}
	a, logs := newAuth(t, store)
	_, _, err := a.CreateKey(t.Context(), robot, "other key")
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := a.Authenticate(t.Context(), tt.token)
			require.True(t, p.IsZero())
			e, ok := errors.AsType[*switchboard.Error](err)
			require.True(t, ok, "%v", err)
			require.Equal(t, switchboard.CodeUnauthenticated, e.Code)
			require.Equal(t, tt.want, e.Message)
			if tt.token != "" {
				require.NotContains(t, err.Error(), tt.token[len(identity.KeyPrefix):])
				require.NotContains(t, logs.String(), tt.token[len(identity.KeyPrefix):])
			}
		})
	}
}

func TestAuthenticateStoreFault(t *testing.T) {
	t.Parallel()
	store := &fakeStore{}
	a, _ := newAuth(t, store)
	token, _, err := a.CreateKey(t.Context(), robot, "ci")
	require.NoError(t, err)

	store.setFault(errors.New("database is locked"))
	_, err = a.Authenticate(t.Context(), token)
	require.Equal(t, switchboard.CodeInternal, switchboard.ErrorCode(err),
		"a fault is not a wrong key")
	require.NotContains(t, err.Error(), token)
}

func TestCreateKeyThenAuthenticate(t *testing.T) {
	t.Parallel()
	a, _ := newAuth(t, &fakeStore{})
	tests := []struct {
		name string
		p    switchboard.Principal
	}{
		{"agent", robot},
		{"app", switchboard.Principal{Kind: switchboard.KindApp, ID: "billing"}},
		{"user", switchboard.Principal{Kind: switchboard.KindUser, ID: "ann@example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			token, k, err := a.CreateKey(t.Context(), tt.p, tt.name)
			require.NoError(t, err)
			require.Equal(t, tt.p.String(), k.Principal)
			got, err := a.Authenticate(t.Context(), token)
			require.NoError(t, err)
			require.Equal(t, tt.p, got)
		})
	}
}

// TestCreateKeyStoresOnlyTheHash checks that the key reaches neither the
// store nor the log: only its SHA-256 is kept.
func TestCreateKeyStoresOnlyTheHash(t *testing.T) {
	t.Parallel()
	secret := bytes.Repeat([]byte{0xA5}, 32)
	created := time.Date(2025, 3, 1, 12, 0, 0, 0, time.FixedZone("CET", 3600))
	store := &fakeStore{}
	logs := &logBuffer{}
	a, err := identity.New(identity.Config{Store: store, Rand: bytes.NewReader(secret),
		Now:    func() time.Time { return created },
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	require.NoError(t, err)

	token, k, err := a.CreateKey(t.Context(), robot, "ci")
	require.NoError(t, err)
	require.Equal(t, identity.KeyPrefix+base64.RawURLEncoding.EncodeToString(secret), token)

	sum := sha256.Sum256([]byte(token))
	stored := store.stored()
	require.Len(t, stored, 1)
	require.Equal(t, k, stored[0])
	require.Equal(t, sum[:], stored[0].Hash)
	require.Equal(t, "key_"+hex.EncodeToString(sum[:6]), stored[0].ID)
	require.Equal(t, "agent:robot", stored[0].Principal)
	require.Equal(t, "ci", stored[0].Name)
	require.Equal(t, created.UTC(), stored[0].CreatedAt)
	body := token[len(identity.KeyPrefix):]
	for _, field := range []string{stored[0].ID, stored[0].Name, stored[0].Principal} {
		require.NotContains(t, field, body)
	}
	require.NotContains(t, string(stored[0].Hash), body)
	require.Contains(t, logs.String(), "api key created")
	require.NotContains(t, logs.String(), body)
}

func TestCreateKeyWithoutRandomness(t *testing.T) {
	t.Parallel()
	store := &fakeStore{}
	a, err := identity.New(identity.Config{Store: store, Rand: bytes.NewReader([]byte{1, 2})})
	require.NoError(t, err)
	token, _, err := a.CreateKey(t.Context(), robot, "ci")
	require.Error(t, err)
	require.Empty(t, token)
	require.Empty(t, store.stored())
}

func TestBootstrap(t *testing.T) {
	t.Parallel()
	store := &fakeStore{}
	a, logs := newAuth(t, store)

	token, err := a.Bootstrap(t.Context())
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(token, identity.KeyPrefix))
	p, err := a.Authenticate(t.Context(), token)
	require.NoError(t, err)
	require.Equal(t, identity.Admin, p)

	again, err := a.Bootstrap(t.Context())
	require.NoError(t, err)
	require.Empty(t, again, "a store with a key gets no second admin key")
	require.Len(t, store.stored(), 1)
	require.NotContains(t, logs.String(), token[len(identity.KeyPrefix):])
}

func TestBootstrapWithOtherKeys(t *testing.T) {
	t.Parallel()
	store := &fakeStore{}
	a, _ := newAuth(t, store)
	_, _, err := a.CreateKey(t.Context(), robot, "ci")
	require.NoError(t, err)
	token, err := a.Bootstrap(t.Context())
	require.NoError(t, err)
	require.Empty(t, token)
	require.Len(t, store.stored(), 1)
}

func TestBootstrapStoreFault(t *testing.T) {
	t.Parallel()
	a, _ := newAuth(t, &fakeStore{fault: errors.New("no database")})
	token, err := a.Bootstrap(t.Context())
	require.Error(t, err)
	require.Empty(t, token)
}

// TestSQLiteKeepsNoKey runs bootstrap and key creation on the real
// embedded store and checks that no key is anywhere in its files.
func TestSQLiteKeepsNoKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(dir, "sb.db")})
	require.NoError(t, err)
	a, _ := newAuth(t, db)

	admin, err := a.Bootstrap(t.Context())
	require.NoError(t, err)
	require.NotEmpty(t, admin)
	again, err := a.Bootstrap(t.Context())
	require.NoError(t, err)
	require.Empty(t, again)
	agent, _, err := a.CreateKey(t.Context(), robot, "ci")
	require.NoError(t, err)

	owners := map[string]switchboard.Principal{admin: identity.Admin, agent: robot}
	for token, want := range owners {
		p, err := a.Authenticate(t.Context(), token)
		require.NoError(t, err)
		require.Equal(t, want, p)
	}
	require.NoError(t, db.Close())

	files, err := filepath.Glob(filepath.Join(dir, "sb.db*"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, token := range []string{admin, agent} {
			require.False(t, bytes.Contains(b, []byte(token[len(identity.KeyPrefix):])),
				"%s holds a key", filepath.Base(f))
		}
	}
}

func TestContext(t *testing.T) {
	t.Parallel()
	require.True(t, identity.FromContext(t.Context()).IsZero())
	ctx := identity.NewContext(t.Context(), robot)
	require.Equal(t, robot, identity.FromContext(ctx))
}
