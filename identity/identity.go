// Package identity turns a bearer token into the [switchboard.Principal]
// that presented it.
//
// API keys are "sbk_" followed by 32 random bytes in unpadded base64url. The
// store holds only their SHA-256, so a stolen database yields no usable key;
// a key is shown once, when it is created. The first start of an empty store
// creates the administrator's key.
package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/internal/logkey"
)

// KeyPrefix starts every API key.
const KeyPrefix = "sbk_"

// Admin is the principal of the key created on first start.
var Admin = switchboard.Principal{Kind: switchboard.KindUser, ID: "admin"}

// keyLen is the length of an API key: prefix and 43 base64url characters.
var keyLen = len(KeyPrefix) + base64.RawURLEncoding.EncodedLen(32)

// Config configures an [Authenticator]. Store is required.
type Config struct {
	Store  Store
	Rand   io.Reader
	Now    func() time.Time
	Logger *slog.Logger
}

// Authenticator checks bearer tokens.
type Authenticator struct {
	store Store
	rand  io.Reader
	now   func() time.Time
	log   *slog.Logger

	// keys caches the principals of keys found by hash, so that a request
	// does not read the store for a key it has seen; [Authenticator.Flush]
	// empties it when the change feed moves. Unknown keys are never cached.
	mu   sync.Mutex
	gen  uint64
	keys map[[sha256.Size]byte]switchboard.Principal
}

// maxCachedKeys bounds the key cache; reaching it starts it afresh.
const maxCachedKeys = 10000

// Flush forgets every cached key, so that the next request with each is
// checked against the store. Call it when the change feed moved: a key may
// have been revoked by another process.
func (a *Authenticator) Flush() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.gen++
	a.keys = nil
}

func (a *Authenticator) cached(sum [sha256.Size]byte) (switchboard.Principal, bool, uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p, ok := a.keys[sum]
	return p, ok, a.gen
}

func (a *Authenticator) remember(sum [sha256.Size]byte, p switchboard.Principal, gen uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if gen != a.gen {
		return
	}
	if a.keys == nil || len(a.keys) >= maxCachedKeys {
		a.keys = map[[sha256.Size]byte]switchboard.Principal{}
	}
	a.keys[sum] = p
}

// New returns an Authenticator.
func New(cfg Config) (*Authenticator, error) {
	if cfg.Store == nil {
		return nil, errors.New("identity: Store is required")
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Authenticator{store: cfg.Store, rand: cfg.Rand, now: cfg.Now, log: cfg.Logger}, nil
}

// Authenticate returns the principal of token. Any failure is a
// *switchboard.Error with CodeUnauthenticated that says nothing about which
// keys exist; the token is never logged or echoed.
func (a *Authenticator) Authenticate(ctx context.Context, token string) (switchboard.Principal, error) {
	if token == "" {
		return switchboard.Principal{}, unauthenticated("a bearer token is required")
	}
	if !strings.HasPrefix(token, KeyPrefix) || len(token) != keyLen {
		return switchboard.Principal{}, unauthenticated("the bearer token is not a valid Switchboard key")
	}
	sum := sha256.Sum256([]byte(token))
	p, ok, gen := a.cached(sum)
	if ok {
		return p, nil
	}
	k, err := a.store.APIKeyByHash(ctx, sum[:])
	if switchboard.ErrorCode(err) == switchboard.CodeNotFound {
		return switchboard.Principal{}, unauthenticated("the bearer token is not a valid Switchboard key")
	}
	if err != nil {
		return switchboard.Principal{}, fmt.Errorf("look up api key: %w", err)
	}
	// The lookup was by hash; comparing again in constant time keeps a
	// store that matched loosely from letting a wrong key through.
	if subtle.ConstantTimeCompare(k.Hash, sum[:]) != 1 {
		return switchboard.Principal{}, unauthenticated("the bearer token is not a valid Switchboard key")
	}
	p, err = switchboard.ParsePrincipal(k.Principal)
	if err != nil {
		return switchboard.Principal{}, fmt.Errorf("api key %s: %w", k.ID, err)
	}
	a.remember(sum, p, gen)
	return p, nil
}

// CreateKey makes a new API key for p, stores its hash, and returns the key
// itself: the only time it is ever available.
func (a *Authenticator) CreateKey(ctx context.Context, p switchboard.Principal, name string) (string, APIKey, error) {
	secret := make([]byte, 32)
	if _, err := io.ReadFull(a.rand, secret); err != nil {
		return "", APIKey{}, fmt.Errorf("generate api key: %w", err)
	}
	token := KeyPrefix + base64.RawURLEncoding.EncodeToString(secret)
	sum := sha256.Sum256([]byte(token))
	k := APIKey{
		ID:        "key_" + hex.EncodeToString(sum[:6]),
		Principal: p.String(),
		Name:      name,
		Hash:      sum[:],
		CreatedAt: a.now().UTC(),
	}
	if err := a.store.CreateAPIKey(ctx, k); err != nil {
		return "", APIKey{}, fmt.Errorf("store api key: %w", err)
	}
	a.log.InfoContext(ctx, "api key created",
		slog.String(logkey.Principal, k.Principal), slog.String("key_id", k.ID))
	return token, k, nil
}

// Bootstrap creates the administrator's key when the store has no key at
// all, and returns it; on any later start it returns "". The caller writes
// the key where the operator can read it and nowhere else.
func (a *Authenticator) Bootstrap(ctx context.Context) (string, error) {
	n, err := a.store.CountAPIKeys(ctx)
	if err != nil {
		return "", fmt.Errorf("count api keys: %w", err)
	}
	if n > 0 {
		return "", nil
	}
	token, _, err := a.CreateKey(ctx, Admin, "admin (first start)")
	return token, err
}

func unauthenticated(msg string) *switchboard.Error {
	return switchboard.Errorf(switchboard.CodeUnauthenticated, "%s", msg)
}

// AdminOnly is the authorization of a server without roles: the operator
// and the administrator may do everything, anyone else nothing.
type AdminOnly struct{}

// Authorize allows the operator and [Admin]; anyone else gets CodeForbidden
// naming permission.
func (AdminOnly) Authorize(_ context.Context, p switchboard.Principal, permission string) error {
	if p == switchboard.Operator || p == Admin {
		return nil
	}
	e := switchboard.Errorf(switchboard.CodeForbidden,
		"%s lacks the permission %s: an administrator can grant it", p, permission)
	e.Permission = permission
	return e
}
