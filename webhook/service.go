package webhook

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/internal/logkey"
	"github.com/switchboard-dev/switchboard/registry"
)

// HookPath is the path of listener URLs under the public URL; the token
// follows.
const HookPath = "/api/v1/hooks/"

// DefaultMaxBodyBytes bounds a delivery's body when the manifest sets no
// maxBodyBytes.
const DefaultMaxBodyBytes = 1 << 20

// tokenPrefix starts every listener token, so that scanners can spot one.
const tokenPrefix = "sbh_"

// Vault seals and opens values bound to a scope and a name; *vault.Vault
// implements it.
type Vault interface {
	Seal(scope, name string, plaintext []byte) ([]byte, error)
	Open(ctx context.Context, scope, name string, sealed []byte) ([]byte, error)
}

// Secrets reads platform secrets by their platform-wide name; a missing
// one is a *switchboard.Error with CodeNotFound. *vault.Vault implements
// it.
type Secrets interface {
	PlatformSecret(ctx context.Context, name string) ([]byte, error)
}

// Installed gives the installed set; *registry.Registry implements it.
type Installed interface {
	Snapshot() *registry.Snapshot
}

// Auditor records intake, refusals and subscription changes;
// *audit.Log implements it.
type Auditor interface {
	Record(ctx context.Context, e audit.Entry) error
}

// Clock tells the time; tests inject one to move retries along.
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Config configures a [Service]. Store, Vault, Secrets, Installed and
// PublicURL are required; the other fields have working zero values.
type Config struct {
	Store     Store
	Vault     Vault
	Secrets   Secrets
	Installed Installed
	// PublicURL is where services reach this server; listener URLs start
	// with it.
	PublicURL string
	// Client sends outbound deliveries. Pass the outbound-policy client
	// (backend.HTTP.Client()); nil sends none, and Run only waits.
	Client *http.Client
	// Auditor records intake; nil records nothing.
	Auditor Auditor
	Logger  *slog.Logger
	// Clock is the time of signatures, events and retries; the system
	// clock by default.
	Clock Clock
	// Rand makes tokens and secrets; crypto/rand by default.
	Rand io.Reader
	// Retry shapes outbound retries; see [Retry].
	Retry Retry
	// PollInterval is how often Run looks for due deliveries when nothing
	// wakes it; one second by default.
	PollInterval time.Duration
	// Authorizer, when set, is asked before each outbound delivery whether
	// the subscription's owner still holds integration:{id}:events; a
	// delivery to an owner who lost it fails at once, unsent.
	Authorizer Authorizer
}

// Authorizer says whether a principal holds a permission through the roles
// assigned to it.
type Authorizer interface {
	Allowed(ctx context.Context, p switchboard.Principal, key string) bool
}

// Service runs listeners, intake, event listings and outbound
// subscriptions. It is safe for concurrent use.
type Service struct {
	store     Store
	vault     Vault
	secrets   Secrets
	installed Installed
	public    string
	client    *http.Client
	auditor   Auditor
	log       *slog.Logger
	clock     Clock
	rand      io.Reader
	retry     Retry
	poll      time.Duration
	authz     Authorizer

	mu      sync.Mutex
	waiters map[chan struct{}]struct{}
	closed  chan struct{}
	close   sync.Once
}

// New returns a Service for cfg after applying defaults. It returns an
// error when a required field is missing or PublicURL is not an http or
// https URL.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Vault == nil || cfg.Secrets == nil || cfg.Installed == nil {
		return nil, errors.New("webhook: Store, Vault, Secrets and Installed are required")
	}
	if !strings.HasPrefix(cfg.PublicURL, "http://") && !strings.HasPrefix(cfg.PublicURL, "https://") {
		return nil, fmt.Errorf("webhook: PublicURL %q is not an http or https URL", cfg.PublicURL)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = systemClock{}
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if err := cfg.Retry.defaults(); err != nil {
		return nil, err
	}
	return &Service{
		store: cfg.Store, vault: cfg.Vault, secrets: cfg.Secrets, installed: cfg.Installed,
		public: strings.TrimSuffix(cfg.PublicURL, "/"), client: cfg.Client,
		auditor: cfg.Auditor, log: cfg.Logger, clock: cfg.Clock, rand: cfg.Rand,
		retry: cfg.Retry, poll: cfg.PollInterval, authz: cfg.Authorizer,
		waiters: map[chan struct{}]struct{}{}, closed: make(chan struct{}),
	}, nil
}

// Listener is an integration's listener: the URL services post to and the
// events they may send. The URL holds the token: show it only to those who
// manage the integration.
type Listener struct {
	URL    string
	Events []string
}

// Provision gives in a listener when it declares webhooks and has none,
// and returns it; an integration that declares none has no listener
// (ok false). The token stays the same across redeploys.
func (s *Service) Provision(ctx context.Context, in *registry.Integration) (Listener, bool, error) {
	if len(in.Manifest.Webhooks) == 0 {
		return Listener{}, false, nil
	}
	l, err := s.Listener(ctx, in)
	if switchboard.ErrorCode(err) != switchboard.CodeNotFound {
		return l, err == nil, err
	}
	l, err = s.setToken(ctx, in, false)
	if switchboard.ErrorCode(err) == switchboard.CodeConflict {
		// Another request provisioned it meanwhile: theirs stands.
		l, err = s.Listener(ctx, in)
	}
	return l, err == nil, err
}

// Listener returns in's listener, or CodeNotFound when it has none.
func (s *Service) Listener(ctx context.Context, in *registry.Integration) (Listener, error) {
	sealed, err := s.store.Listener(ctx, in.ID())
	if err != nil {
		if switchboard.ErrorCode(err) == switchboard.CodeNotFound {
			return Listener{}, switchboard.Errorf(switchboard.CodeNotFound,
				"integration %q has no webhook listener", in.ID())
		}
		return Listener{}, err
	}
	token, err := s.vault.Open(ctx, ScopeListener, in.ID(), sealed)
	if err != nil {
		return Listener{}, fmt.Errorf("open listener token of %s: %w", in.ID(), err)
	}
	return s.listener(in, string(token)), nil
}

// Rotate replaces in's listener token, so that the old URL stops working
// at once; CodeNotFound when in declares no webhooks.
func (s *Service) Rotate(ctx context.Context, in *registry.Integration) (Listener, error) {
	if len(in.Manifest.Webhooks) == 0 {
		return Listener{}, switchboard.Errorf(switchboard.CodeNotFound,
			"integration %q declares no webhooks", in.ID())
	}
	l, err := s.setToken(ctx, in, true)
	if err != nil {
		return Listener{}, err
	}
	s.log.InfoContext(ctx, "webhook listener rotated", slog.String(logkey.Integration, in.ID()))
	return l, s.record(ctx, audit.Entry{Event: audit.EventWebhookRotate, Integration: in.ID(),
		Outcome: audit.OutcomeOK})
}

// setToken gives in a new token; without replace, only when it has none
// (CodeConflict otherwise).
func (s *Service) setToken(ctx context.Context, in *registry.Integration, replace bool,
) (Listener, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return Listener{}, fmt.Errorf("listener token: %w", err)
	}
	token := tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	sealed, err := s.vault.Seal(ScopeListener, in.ID(), []byte(token))
	if err != nil {
		return Listener{}, fmt.Errorf("seal listener token: %w", err)
	}
	hash := sha256.Sum256([]byte(token))
	err = s.store.PutListener(ctx, in.ID(), hash[:], sealed, s.clock.Now(), replace)
	if err != nil {
		return Listener{}, err
	}
	return s.listener(in, token), nil
}

func (s *Service) listener(in *registry.Integration, token string) Listener {
	l := Listener{URL: s.public + HookPath + token, Events: []string{}}
	for _, w := range in.Manifest.Webhooks {
		l.Events = append(l.Events, w.Name)
	}
	return l
}

// Purge deletes what the service keeps of appID: its listener, events and
// subscriptions.
func (s *Service) Purge(ctx context.Context, appID string) error {
	return s.store.PurgeWebhooks(ctx, appID)
}

// Events returns at most limit events of appID after the cursor after
// (0 for the first), in order; limit is 1 to 1000.
func (s *Service) Events(ctx context.Context, appID string, after int64, limit int) ([]Event, error) {
	if limit < 1 || limit > MaxPage {
		return nil, switchboard.Errorf(switchboard.CodeInvalidRequest,
			"limit must be between 1 and %d", MaxPage)
	}
	if after < 0 {
		return nil, switchboard.Errorf(switchboard.CodeInvalidRequest,
			"after must be a cursor from an earlier page, not negative")
	}
	return s.store.Events(ctx, appID, after, limit)
}

// MaxPage is the most events one listing returns.
const MaxPage = 1000

// Wait returns a channel that receives when an event is stored by this
// process, and a function to stop waiting. Other processes' events are
// seen by polling [Service.Events].
func (s *Service) Wait() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	s.waiters[ch] = struct{}{}
	s.mu.Unlock()
	return ch, func() {
		s.mu.Lock()
		delete(s.waiters, ch)
		s.mu.Unlock()
	}
}

func (s *Service) notify() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch := range s.waiters {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Done is closed by [Service.Shutdown]: streams end when it is.
func (s *Service) Done() <-chan struct{} { return s.closed }

// Shutdown ends the streams that wait on [Service.Done]. It is safe to
// call more than once.
func (s *Service) Shutdown() { s.close.Do(func() { close(s.closed) }) }

func (s *Service) record(ctx context.Context, e audit.Entry) error {
	if s.auditor == nil {
		return nil
	}
	return s.auditor.Record(ctx, e)
}
