package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-dev/switchboard"
)

// KeyPrefix starts every API key.
const KeyPrefix = "sbk_"

// Admin is the principal of the key created on first start.
var Admin = switchboard.Principal{Kind: switchboard.KindUser, ID: "admin"}

// How a [Caller] authenticated.
const (
	ViaAPIKey     = "api_key"
	ViaJWT        = "jwt"
	ViaDelegation = "delegation"
)

// keyLen is the length of an API key: prefix and 43 base64url characters.
var keyLen = len(KeyPrefix) + base64.RawURLEncoding.EncodedLen(32)

// Config configures an [Authenticator]. Store is required; the zero value
// of every other field works.
type Config struct {
	// Store keeps the API keys.
	Store Store
	// Rand makes new keys; nil is crypto/rand.
	Rand io.Reader
	// Now is the clock of key creation, last use and token lifetimes; nil
	// is time.Now.
	Now func() time.Time
	// Logger receives key events and warnings about issuers; nil discards
	// them. No token or secret is ever logged.
	Logger *slog.Logger
	// JWT says which external tokens are accepted; the zero value accepts
	// none.
	JWT JWTConfig
	// Auditor records every key created or revoked; nil records nothing.
	Auditor Auditor
	// Delegations verifies delegation tokens (agents acting for users);
	// nil accepts none.
	Delegations DelegationVerifier
}

// DelegationVerifier checks delegation tokens.
type DelegationVerifier interface {
	// Recognizes reports whether token is meant for Verify, without
	// checking it.
	Recognizes(token string) bool
	// Verify returns the agent a token lets act and the delegation it
	// carries, or a *switchboard.Error with CodeUnauthenticated.
	Verify(ctx context.Context, token string) (switchboard.Principal, switchboard.Delegation, error)
}

// Caller is who presented a token, and how.
type Caller struct {
	// Principal is the authenticated principal.
	Principal switchboard.Principal
	// Roles are the roles an external token claims for Principal (see
	// [JWTConfig.RolesClaim]); nil for an API key. They are names only:
	// authorization ignores names of roles that do not exist.
	Roles []string
	// Via is [ViaAPIKey] or [ViaJWT].
	Via string
	// KeyID is the id of the API key, for ViaAPIKey.
	KeyID string
	// Issuer is the token's issuer (its iss claim), for ViaJWT.
	Issuer string
	// Delegation is what a delegation token lends Principal (an agent)
	// for ViaDelegation; nil otherwise.
	Delegation *switchboard.Delegation
}

// Authenticator checks bearer tokens and manages API keys. It is safe for
// concurrent use.
type Authenticator struct {
	store Store
	rand  io.Reader
	now   func() time.Time
	log   *slog.Logger
	jwt   *jwtVerifier // nil when no external token is accepted
	audit Auditor
	dlg   DelegationVerifier

	// keys caches the keys found by hash, so that a request does not read
	// the store for a key it has seen; [Authenticator.Flush] empties it
	// when the change feed moves. Unknown keys are never cached.
	mu   sync.Mutex
	gen  uint64
	keys map[[sha256.Size]byte]cachedKey

	uses lastUses
}

// cachedKey is what a request needs of a key found by hash.
type cachedKey struct {
	id string
	p  switchboard.Principal
}

// maxCachedKeys bounds the key cache; reaching it starts it afresh.
const maxCachedKeys = 10000

// New returns an Authenticator, or an error naming the first field of cfg
// that is invalid. It contacts no issuer: discovery happens on the first
// token of each (see [Authenticator.DiscoverIssuers] to do it at start).
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
	v, err := newJWTVerifier(cfg.JWT, cfg.Now, cfg.Logger)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	return &Authenticator{store: cfg.Store, rand: cfg.Rand, now: cfg.Now,
		log: cfg.Logger, jwt: v, audit: cfg.Auditor, dlg: cfg.Delegations}, nil
}

// Flush forgets every cached key, so that the next request with each is
// checked against the store. Call it when the change feed moved: a key may
// have been revoked by another process.
func (a *Authenticator) Flush() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.gen++
	a.keys = nil
}

func (a *Authenticator) cached(sum [sha256.Size]byte) (cachedKey, bool, uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	k, ok := a.keys[sum]
	return k, ok, a.gen
}

// remember caches k unless the cache was flushed since gen was read: the
// store may have answered before a revocation that the flush announced.
func (a *Authenticator) remember(sum [sha256.Size]byte, k cachedKey, gen uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if gen != a.gen {
		return
	}
	if a.keys == nil || len(a.keys) >= maxCachedKeys {
		a.keys = map[[sha256.Size]byte]cachedKey{}
	}
	a.keys[sum] = k
}

// AuthenticateRequest returns the caller that presented token: an API key
// ("sbk_..."), a delegation token (see [DelegationVerifier]), or a JWT of a
// configured issuer (three dot-separated parts).
// A refused token is a *switchboard.Error with CodeUnauthenticated whose
// message says why without saying which keys exist; a fault of the store is
// an internal error. The token is never logged or echoed.
func (a *Authenticator) AuthenticateRequest(ctx context.Context, token string) (Caller, error) {
	switch {
	case token == "":
		return Caller{}, unauthenticated("a bearer token is required")
	case strings.HasPrefix(token, KeyPrefix):
		return a.authenticateKey(ctx, token)
	case strings.Count(token, ".") == 2 && a.dlg != nil && a.dlg.Recognizes(token):
		agent, d, err := a.dlg.Verify(ctx, token)
		if err != nil {
			return Caller{}, err
		}
		return Caller{Principal: agent, Via: ViaDelegation, Delegation: &d}, nil
	case strings.Count(token, ".") == 2:
		if a.jwt == nil {
			return Caller{}, unauthenticated("the bearer token is a JWT, but this server " +
				"trusts no token issuer: use a Switchboard API key")
		}
		return a.jwt.verify(ctx, token)
	default:
		return Caller{}, invalidKey()
	}
}

// Authenticate returns the principal of token, as
// [Authenticator.AuthenticateRequest] decides; it drops the roles a JWT
// claims.
func (a *Authenticator) Authenticate(
	ctx context.Context, token string,
) (switchboard.Principal, error) {
	c, err := a.AuthenticateRequest(ctx, token)
	return c.Principal, err
}

func (a *Authenticator) authenticateKey(ctx context.Context, token string) (Caller, error) {
	if len(token) != keyLen {
		return Caller{}, invalidKey()
	}
	sum := sha256.Sum256([]byte(token))
	k, ok, gen := a.cached(sum)
	if !ok {
		var err error
		if k, err = a.lookUp(ctx, sum); err != nil {
			return Caller{}, err
		}
		a.remember(sum, k, gen)
	}
	a.noteUse(ctx, k.id)
	return Caller{Principal: k.p, Via: ViaAPIKey, KeyID: k.id}, nil
}

// lookUp reads the key whose hash is sum from the store.
func (a *Authenticator) lookUp(ctx context.Context, sum [sha256.Size]byte) (cachedKey, error) {
	k, err := a.store.APIKeyByHash(ctx, sum[:])
	if switchboard.ErrorCode(err) == switchboard.CodeNotFound {
		return cachedKey{}, invalidKey()
	}
	if err != nil {
		return cachedKey{}, fmt.Errorf("look up api key: %w", err)
	}
	// The lookup was by hash; comparing again in constant time keeps a
	// store that matched loosely from letting a wrong key through.
	if subtle.ConstantTimeCompare(k.Hash, sum[:]) != 1 {
		return cachedKey{}, invalidKey()
	}
	p, err := switchboard.ParsePrincipal(k.Principal)
	if err != nil {
		return cachedKey{}, fmt.Errorf("api key %s: %w", k.ID, err)
	}
	return cachedKey{id: k.ID, p: p}, nil
}

func invalidKey() *switchboard.Error {
	return unauthenticated("the bearer token is not a valid Switchboard key")
}

func unauthenticated(msg string) *switchboard.Error {
	return switchboard.Errorf(switchboard.CodeUnauthenticated, "%s", msg)
}
