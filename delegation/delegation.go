package delegation

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/internal/logkey"
	"github.com/switchboard-dev/switchboard/rbac"
)

// How a delegation was issued.
const (
	ViaAPI      = "api"            // POST /api/v1/delegations
	ViaExchange = "token_exchange" // RFC 8693 at POST /oauth/token
	ViaCLI      = "cli"            // switchboard delegate
)

// VaultScope is the vault scope of the signing keys' private halves.
const VaultScope = "delegation-key"

// TokenType is the typ header of delegation tokens.
const TokenType = "switchboard-delegation+jwt"

// Lifetimes.
const (
	// DefaultMaxTTL is the longest lifetime a token may ask for when
	// [Config.MaxTTL] is zero.
	DefaultMaxTTL = time.Hour
	// DefaultTTL is the lifetime of a token that asks for none, unless the
	// maximum is shorter.
	DefaultTTL = 15 * time.Minute
	// MinTTL is the shortest lifetime a token may ask for.
	MinTTL = 10 * time.Second
	// Leeway is the clock skew allowed on exp, nbf and iat.
	Leeway = 10 * time.Second
	// keyRetention is how long a retired key is kept beyond the longest
	// lifetime, so that every token it signed expires before it goes.
	keyRetention = 24 * time.Hour
	// reloadEvery bounds how often an unknown kid makes Verify read the
	// keys again.
	reloadEvery = time.Second
)

// Limits on what a delegation may hold.
const (
	// MaxScope is the most permission keys a delegation may name.
	MaxScope = 64
	// maxToken is the longest token Verify reads, in bytes.
	maxToken = 16 << 10
)

// Vault keeps the signing keys' private halves.
type Vault interface {
	Put(ctx context.Context, scope, name string, plaintext []byte) error
	Get(ctx context.Context, scope, name string) ([]byte, error)
	Delete(ctx context.Context, scope, name string) error
}

// Authority says which permissions a user holds.
type Authority interface {
	// Holds returns the keys of keys that user, with the roles claimed for
	// them, does not hold; patterns are matched literally.
	Holds(user switchboard.Principal, claimed []string, keys []string) (missing []string)
}

// Auditor records issued and revoked delegations and new keys.
type Auditor interface {
	Record(ctx context.Context, e audit.Entry) error
}

// Config configures a [Service]. Store, Vault, Authority and Issuer are
// required.
type Config struct {
	Store     Store
	Vault     Vault
	Authority Authority
	// Issuer is the iss of the tokens: this server's public URL.
	Issuer string
	// Audience is their aud; "" is Issuer.
	Audience string
	// MaxTTL caps the lifetime a token may ask for; zero is
	// [DefaultMaxTTL].
	MaxTTL  time.Duration
	Auditor Auditor
	Logger  *slog.Logger
	Now     func() time.Time
	Rand    io.Reader
}

// Service issues, verifies and revokes delegation tokens. It is safe for
// concurrent use.
type Service struct {
	store    Store
	vault    Vault
	auth     Authority
	issuer   string
	audience string
	maxTTL   time.Duration
	audit    Auditor
	log      *slog.Logger
	now      func() time.Time
	rand     io.Reader

	// keys holds the public keys by id, as last read from the store.
	keys atomic.Pointer[map[string]Key]
	// reloadMu serializes reads of the keys after an unknown kid; lastLoad
	// is when the keys were last read.
	reloadMu sync.Mutex
	lastLoad time.Time
	// signers caches opened private keys by id.
	signerMu sync.Mutex
	signers  map[string]ed25519.PrivateKey
}

// New returns a Service, or an error naming the first invalid field of cfg.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.Store == nil, cfg.Vault == nil, cfg.Authority == nil:
		return nil, errors.New("delegation: Store, Vault and Authority are required")
	case cfg.Issuer == "":
		return nil, errors.New("delegation: Issuer is required")
	case cfg.MaxTTL < 0:
		return nil, errors.New("delegation: MaxTTL must not be negative")
	case cfg.MaxTTL != 0 && cfg.MaxTTL < MinTTL:
		return nil, fmt.Errorf("delegation: MaxTTL must be at least %s", MinTTL)
	}
	if cfg.Audience == "" {
		cfg.Audience = cfg.Issuer
	}
	if cfg.MaxTTL == 0 {
		cfg.MaxTTL = DefaultMaxTTL
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	s := &Service{store: cfg.Store, vault: cfg.Vault, auth: cfg.Authority,
		issuer: cfg.Issuer, audience: cfg.Audience, maxTTL: cfg.MaxTTL, audit: cfg.Auditor,
		log: cfg.Logger, now: cfg.Now, rand: cfg.Rand, signers: map[string]ed25519.PrivateKey{}}
	s.keys.Store(&map[string]Key{})
	return s, nil
}

// MaxTTL is the longest lifetime a token may ask for.
func (s *Service) MaxTTL() time.Duration { return s.maxTTL }

// Audience is the aud of the tokens: the resource they are for.
func (s *Service) Audience() string { return s.audience }

// Issuer is the iss of the tokens.
func (s *Service) Issuer() string { return s.issuer }

// Request asks for a delegation.
type Request struct {
	// User delegates; they must be a user.
	User switchboard.Principal
	// UserRoles are roles the user's login claims (their JWT's roles
	// claim), if they signed in with one.
	UserRoles []string
	// Agent acts; an agent or an app.
	Agent switchboard.Principal
	// Scope is the permission keys (or patterns) lent; each must be held
	// by User.
	Scope []string
	// TTL is the token's lifetime; zero is the default.
	TTL time.Duration
	// Via is [ViaAPI], [ViaExchange] or [ViaCLI].
	Via string
}

// Issued is a new delegation token. Token is a secret: it is shown once.
type Issued struct {
	Token     string    `json:"token"`
	JTI       string    `json:"jti"`
	Agent     string    `json:"agent"`
	Scope     []string  `json:"scope"`
	ExpiresAt time.Time `json:"expiresAt"`
	// Warnings say what of the scope the agent cannot use yet, because it
	// does not hold it itself.
	Warnings []string `json:"warnings,omitempty"`
}

// Issue checks r and issues its token: its record is stored first, so that
// no token exists without one. A scope key the user does not hold is
// CodeForbidden naming each such key; any other problem of r is
// CodeInvalidInput naming its field.
func (s *Service) Issue(ctx context.Context, r Request) (Issued, error) {
	scope, ttl, err := s.check(r)
	if err != nil {
		return Issued{}, err
	}
	if missing := s.auth.Holds(r.User, r.UserRoles, scope); len(missing) > 0 {
		e := switchboard.Errorf(switchboard.CodeForbidden,
			"%s does not hold %s, so cannot delegate it: a delegation lends only what its user holds",
			r.User, strings.Join(missing, ", "))
		for _, k := range missing {
			e.Errors = append(e.Errors, switchboard.FieldError{
				Path: fmt.Sprintf("scope[%d]", slices.Index(r.Scope, k)), Message: "not held by " + r.User.String()})
		}
		return Issued{}, e
	}
	key, priv, err := s.signingKey(ctx)
	if err != nil {
		return Issued{}, err
	}
	jti, err := s.randomID(16)
	if err != nil {
		return Issued{}, err
	}
	now := s.now().UTC().Truncate(time.Second)
	rec := Record{JTI: jti, User: r.User.String(), Agent: r.Agent.String(), Scope: scope,
		UserRoles: slices.Clone(r.UserRoles), Via: r.Via, IssuedAt: now, ExpiresAt: now.Add(ttl)}
	if err := s.store.InsertDelegation(ctx, rec); err != nil {
		return Issued{}, fmt.Errorf("store delegation: %w", err)
	}
	token, err := s.sign(key.ID, priv, rec)
	if err != nil {
		return Issued{}, err
	}
	s.log.InfoContext(ctx, "delegation issued", slog.String(logkey.Principal, rec.User),
		slog.String("agent", rec.Agent), slog.String("delegation", jti),
		slog.Duration("ttl", ttl))
	err = s.note(ctx, audit.EventDelegationIssue, map[string]string{
		"delegation": jti, "user": rec.User, "agent": rec.Agent,
		"scope": strings.Join(scope, " "), "ttl": ttl.String(), "via": r.Via,
	})
	if err != nil {
		return Issued{}, err
	}
	issued := Issued{Token: token, JTI: jti, Agent: rec.Agent, Scope: scope,
		ExpiresAt: rec.ExpiresAt}
	if lacking := s.auth.Holds(r.Agent, nil, scope); len(lacking) > 0 {
		issued.Warnings = []string{fmt.Sprintf(
			"%s does not hold %s itself: calls that need it are refused until it does",
			r.Agent, strings.Join(lacking, ", "))}
	}
	return issued, nil
}

// check validates r and returns its scope, sorted and without duplicates,
// and its lifetime.
func (s *Service) check(r Request) ([]string, time.Duration, error) {
	var problems []switchboard.FieldError
	add := func(path, format string, args ...any) {
		problems = append(problems, switchboard.FieldError{Path: path,
			Message: fmt.Sprintf(format, args...)})
	}
	if r.User.Kind != switchboard.KindUser {
		add("user", "only a user can delegate, not %q", r.User.String())
	}
	switch {
	case r.Agent.IsZero():
		add("agent", "is required: the agent or app that will act (agent:ID)")
	case r.Agent.Kind != switchboard.KindAgent && r.Agent.Kind != switchboard.KindApp:
		add("agent", "must be an agent or an app (agent:ID or app:ID), not %q", r.Agent.String())
	}
	switch {
	case len(r.Scope) == 0:
		add("scope", "is required: the permission keys the agent may use, such as integration:slack:send_message")
	case len(r.Scope) > MaxScope:
		add("scope", "names %d keys; at most %d", len(r.Scope), MaxScope)
	}
	for i, k := range r.Scope {
		if err := rbac.ValidKey(k); err != nil {
			add(fmt.Sprintf("scope[%d]", i), "%v", err)
		}
	}
	ttl := r.TTL
	switch {
	case ttl == 0:
		ttl = min(DefaultTTL, s.maxTTL)
	case ttl < MinTTL:
		add("ttl", "must be at least %s", MinTTL)
	case ttl > s.maxTTL:
		add("ttl", "must be at most %s on this server", s.maxTTL)
	}
	if r.Via != ViaAPI && r.Via != ViaExchange && r.Via != ViaCLI {
		add("via", "unknown %q", r.Via)
	}
	if len(problems) > 0 {
		return nil, 0, &switchboard.Error{Code: switchboard.CodeInvalidInput,
			Message: "the delegation is not valid", Errors: problems}
	}
	scope := slices.Clone(r.Scope)
	slices.Sort(scope)
	return slices.Compact(scope), ttl, nil
}

// ParseTTL reads a lifetime such as "15m" or "1h30m", naming field in its
// error.
func ParseTTL(field, s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, &switchboard.Error{Code: switchboard.CodeInvalidInput,
			Message: "the delegation is not valid", Errors: []switchboard.FieldError{{
				Path: field, Message: fmt.Sprintf("%q is not a positive duration such as \"15m\" or \"1h\"", s)}}}
	}
	return d, nil
}

func (s *Service) randomID(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", fmt.Errorf("read random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// note records a change that has been made. The change stands when the
// entry cannot be written; the error says so.
func (s *Service) note(ctx context.Context, ev audit.Event, detail map[string]string) error {
	if s.audit == nil {
		return nil
	}
	err := s.audit.Record(context.WithoutCancel(ctx), audit.Entry{
		Event: ev, Outcome: audit.OutcomeOK, Detail: detail,
	})
	if err != nil {
		return fmt.Errorf("the delegation change was made but its audit entry was not written: %w", err)
	}
	return nil
}
