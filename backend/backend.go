package backend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/internal/logkey"
	"github.com/switchboard-dev/switchboard/registry"
)

// DefaultMaxResponseBytes caps a service's answer when [Config] sets no cap.
const DefaultMaxResponseBytes = 10 << 20

// DefaultUserAgent is the User-Agent of requests when [Config] names none.
const DefaultUserAgent = "Switchboard"

// Config configures [New]. Its zero value is ready for production: the
// address policy refuses private networks and answers are capped at
// [DefaultMaxResponseBytes].
type Config struct {
	// AllowPrivateNetwork lets requests reach loopback, private,
	// benchmarking and CGNAT addresses (--allow-private-network).
	// Link-local and cloud metadata addresses stay refused.
	AllowPrivateNetwork bool
	// MaxResponseBytes caps the body of an answer; 0 means
	// DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// UserAgent is sent with every request; "" means DefaultUserAgent.
	UserAgent string
	// Logger receives one debug record per exchange; nil discards.
	Logger *slog.Logger
	// Transport replaces the policy-enforcing transport. It is for tests
	// only: nothing then checks the addresses dialed.
	Transport http.RoundTripper
}

// HTTP runs actions that have a declarative request block. It is safe for
// concurrent use and keeps connections alive across calls.
type HTTP struct {
	client    *http.Client
	maxBytes  int64
	userAgent string
	log       *slog.Logger
}

// New returns an HTTP backend. It fills in defaults, then refuses a negative
// MaxResponseBytes and a UserAgent with control characters.
func New(cfg Config) (*HTTP, error) {
	if cfg.MaxResponseBytes == 0 {
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Transport == nil {
		cfg.Transport = newTransport(cfg.AllowPrivateNetwork)
	}
	if cfg.MaxResponseBytes < 0 {
		return nil, fmt.Errorf("backend config: max response bytes %d is negative",
			cfg.MaxResponseBytes)
	}
	if hasCTL(cfg.UserAgent) {
		return nil, errors.New("backend config: user agent holds a control character")
	}
	return &HTTP{
		client:    &http.Client{Transport: cfg.Transport, CheckRedirect: checkRedirect},
		maxBytes:  cfg.MaxResponseBytes,
		userAgent: cfg.UserAgent,
		log:       cfg.Logger,
	}, nil
}

// Client returns the one policy-enforcing client, for every other outbound
// request (OAuth endpoints, webhook deliveries). It sets no timeout of its
// own: callers pass a context with a deadline. It follows no redirect to
// another host or from https to http, since it cannot tell whether a
// request carries credentials.
func (h *HTTP) Client() *http.Client { return h.client }

// CloseIdleConnections closes the kept-alive connections that no request
// uses, for shutdown.
func (h *HTTP) CloseIdleConnections() { h.client.CloseIdleConnections() }

// errActionTimeout is the cause of a call's context when the action's own
// timeout ends it.
var errActionTimeout = errors.New("action timeout")

// Run renders act's request with v, sends it under act.Timeout (or
// [registry.DefaultTimeout]) and the deadline of ctx, and returns the output
// JSON after the response block's rules.
//
// Errors are *[switchboard.Error]: not_implemented without a request
// block; invalid_input (naming each field), not_configured or not_connected
// when a value cannot be used; upstream_error when the service cannot be
// reached, refuses, or answers too much; timeout when a deadline passes.
// When ctx is canceled Run returns ctx.Err(), wrapped. Neither the output
// nor any message holds a secret or connection value the request carried:
// each is replaced by "[redacted]" (see the package doc).
func (h *HTTP) Run(ctx context.Context, act *registry.Action, v Values) (json.RawMessage, error) {
	c := h.newCall(act, v)
	if act.Request == nil {
		return nil, switchboard.Errorf(switchboard.CodeNotImplemented,
			"%s's action %s has no request block; it needs a request block or a backend",
			c.service, actionID(act))
	}
	ctx, cancel := context.WithTimeoutCause(ctx, c.timeout, errActionTimeout)
	defer cancel()

	req, err := c.request(ctx)
	if err != nil {
		return nil, err
	}
	return c.do(ctx, req)
}

func (h *HTTP) newCall(act *registry.Action, v Values) *call {
	c := &call{h: h, act: act, service: serviceName(act), timeout: act.Timeout}
	if c.timeout <= 0 {
		c.timeout = registry.DefaultTimeout
	}
	c.r = renderer{v: v, service: c.service}
	return c
}

func actionID(act *registry.Action) string {
	if act.Spec == nil {
		return ""
	}
	return act.Spec.ID
}

// serviceName names the service in messages.
func serviceName(act *registry.Action) string {
	if in := act.Integration; in != nil && in.Manifest != nil {
		if in.Manifest.Name != "" {
			return in.Manifest.Name
		}
		if in.Manifest.AppID != "" {
			return in.Manifest.AppID
		}
	}
	return "the service"
}

// logAttrs names the action of c in log records.
func (c *call) logAttrs() []any {
	attrs := make([]any, 0, 6)
	if in := c.act.Integration; in != nil && in.Manifest != nil {
		attrs = append(attrs, slog.String(logkey.Integration, in.Manifest.AppID))
	}
	if id := actionID(c.act); id != "" {
		attrs = append(attrs, slog.String(logkey.Action, id))
	}
	return attrs
}

// logExchange records one finished exchange with host, the one that
// answered: never its URL, headers or bodies.
func (c *call) logExchange(ctx context.Context, method, host string, status int,
	start time.Time) {
	if !c.h.log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := append(c.logAttrs(),
		slog.String(logkey.Method, method),
		slog.String(logkey.Host, c.redact(host)),
		slog.Int(logkey.Status, status),
		slog.Int64(logkey.Duration, time.Since(start).Milliseconds()),
	)
	c.h.log.DebugContext(ctx, "upstream answered", attrs...)
}
