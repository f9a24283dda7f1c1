package credentials

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-dev/switchboard/audit"
)

// The lifetimes of what a browser carries through a connection flow.
const (
	// StateTTL is how long an OAuth state stays valid after [Manager.Start].
	StateTTL = 10 * time.Minute
	// LinkTTL is how long a connect link stays valid after it is made.
	LinkTTL = 10 * time.Minute
	// DefaultRefreshMargin is how long before expiry a token is refreshed
	// under the before_expiry policy when the manifest gives no margin.
	DefaultRefreshMargin = 5 * time.Minute
	// DefaultLeaseTTL is how long one process may refresh a connection
	// before another may take over.
	DefaultLeaseTTL = 30 * time.Second
)

// Paths under [Config.PublicURL] that the HTTP surface serves.
const (
	// CallbackPath is the OAuth redirect URI every provider sends the
	// browser back to.
	CallbackPath = "/api/v1/integrations/auth/callback"
	// ConnectPath is the prefix of connect links; the link's token follows.
	ConnectPath = "/api/v1/connect/"
)

// Vault is what the manager needs of the vault: sealing and opening values
// bound to a scope and a name. *vault.Vault implements it.
type Vault interface {
	Seal(scope, name string, plaintext []byte) ([]byte, error)
	Open(ctx context.Context, scope, name string, sealed []byte) ([]byte, error)
}

// Secrets reads platform secrets, such as an OAuth client secret, by their
// platform-wide name. A missing one is a *switchboard.Error with
// CodeNotFound. *vault.Vault implements it.
type Secrets interface {
	PlatformSecret(ctx context.Context, name string) ([]byte, error)
}

// Auditor records connections created and deleted and refreshes that
// failed. *audit.Log implements it.
type Auditor interface {
	Record(ctx context.Context, e audit.Entry) error
}

// Config configures a [Manager]. Store, Vault, Secrets, HTTPClient and
// PublicURL are required; the other fields have working zero values.
type Config struct {
	// Store keeps connections, OAuth states, connect links and refresh
	// leases.
	Store Store
	// Vault seals every credential before it reaches the store.
	Vault Vault
	// Secrets gives the OAuth client secrets (platform secrets).
	Secrets Secrets
	// HTTPClient reaches token endpoints. Pass the outbound-policy client
	// (backend.HTTP.Client()); every request carries a deadline.
	HTTPClient *http.Client
	// PublicURL is where browsers reach this server, such as
	// "https://switchboard.example.com"; OAuth redirect URIs and connect
	// links start with it.
	PublicURL string
	// ReturnTo are URL prefixes (such as "https://app.example.com/") a
	// flow may send the browser back to once it is done, besides this
	// server's own pages; see [ReturnToAllowed].
	ReturnTo []string
	// Logger receives connection events, never a credential; nil discards.
	Logger *slog.Logger
	// Now is the clock of expiries and leases; time.Now when nil.
	Now func() time.Time
	// Rand supplies ids, states, link tokens and PKCE verifiers;
	// crypto/rand.Reader when nil. It must be safe for concurrent use.
	Rand io.Reader
	// Auditor, when set, records connection events.
	Auditor Auditor
	// LeaseTTL bounds how long one process refreshes a connection before
	// another may take over; [DefaultLeaseTTL] when zero. A token request
	// is given half of it.
	LeaseTTL time.Duration
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	if c.LeaseTTL == 0 {
		c.LeaseTTL = DefaultLeaseTTL
	}
}

func (c *Config) validate() error {
	switch {
	case c.Store == nil:
		return errors.New("credentials: store is nil")
	case c.Vault == nil:
		return errors.New("credentials: vault is nil")
	case c.Secrets == nil:
		return errors.New("credentials: secrets is nil")
	case c.HTTPClient == nil:
		return errors.New("credentials: http client is nil (pass the outbound-policy client)")
	case c.LeaseTTL < 2*time.Second:
		return fmt.Errorf("credentials: lease ttl %s is shorter than 2s", c.LeaseTTL)
	}
	return checkPublicURL(c.PublicURL)
}

func checkPublicURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("credentials: public url %q: want an absolute http(s) URL", s)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("credentials: public url %q: want no query, fragment or user", s)
	}
	return nil
}

// Manager runs connections: the OAuth 2.0 and credential-form flows that
// create them, their refresh, and which credentials a call gets. It is safe
// for concurrent use, and several processes may share one store.
type Manager struct {
	store    Store
	vault    Vault
	secrets  Secrets
	client   *http.Client
	public   string
	returnTo []string
	log      *slog.Logger
	now      func() time.Time
	rand     io.Reader
	audit    Auditor
	leaseTTL time.Duration

	// holder names this manager in the leases it takes; leases numbers
	// them.
	holder  string
	leases  atomic.Uint64
	flights flights
	// styles remembers, per token endpoint and client, which client
	// authentication it accepted.
	authStyles sync.Map
	// forms caches compiled credential-form schemas by their bytes.
	forms sync.Map
}

// New returns a Manager after applying defaults to cfg and validating it.
func New(cfg Config) (*Manager, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	m := &Manager{
		store:    cfg.Store,
		vault:    cfg.Vault,
		secrets:  cfg.Secrets,
		client:   cfg.HTTPClient,
		public:   strings.TrimRight(cfg.PublicURL, "/"),
		returnTo: cfg.ReturnTo,
		log:      cfg.Logger,
		now:      cfg.Now,
		rand:     cfg.Rand,
		audit:    cfg.Auditor,
		leaseTTL: cfg.LeaseTTL,
	}
	b, err := m.random(8)
	if err != nil {
		return nil, err
	}
	m.holder = hex.EncodeToString(b)
	return m, nil
}

// CallbackURL returns the OAuth redirect URI: PublicURL and [CallbackPath].
func (m *Manager) CallbackURL() string { return m.public + CallbackPath }

// clock returns the time as the store keeps it: UTC, to the microsecond.
func (m *Manager) clock() time.Time { return m.now().UTC().Truncate(time.Microsecond) }

// random returns n bytes from the manager's source of randomness.
func (m *Manager) random(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(m.rand, b); err != nil {
		return nil, fmt.Errorf("credentials: read randomness: %w", err)
	}
	return b, nil
}
