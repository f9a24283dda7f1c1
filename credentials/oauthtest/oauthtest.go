// Package oauthtest runs a small OAuth 2.0 provider on loopback for tests:
// an authorization endpoint that approves at once, a token endpoint for the
// authorization code (with PKCE S256), refresh token and client credentials
// grants, and a resource that says whom a bearer token belongs to.
//
// Refresh tokens rotate: each one is good for one refresh, and using it
// again answers invalid_grant, as strict providers do. A test can make the
// token endpoint fail in each way providers do ([Provider.FailNext]),
// answer in other formats ([Provider.SetFormat]), leave the refresh token
// out, or wait before answering, and can read how often each grant was
// asked for ([Provider.Calls]) and every secret the provider handed out or
// received ([Provider.Secrets]), to look for them where they must not be.
package oauthtest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/registry"
)

// The endpoints' paths under [Provider.URL].
const (
	AuthorizePath = "/authorize"
	TokenPath     = "/token"
	UserPath      = "/api/user"
)

// LoginCookie is the cookie the authorization endpoint sets when
// [Provider.RequireLogin] is on.
const LoginCookie = "oauthtest_login"

// Failure is a way the token endpoint fails.
type Failure int

// The failures of [Provider.FailNext]. None of them uses up a refresh
// token.
const (
	// InvalidGrant answers 400 with error invalid_grant.
	InvalidGrant Failure = iota + 1
	// ServerError answers 500 with error server_error.
	ServerError
	// HTMLPage answers 200 with an HTML page, as a provider behind a
	// misconfigured proxy does.
	HTMLPage
	// EmptyBody answers 200 with no body.
	EmptyBody
	// BadRefreshToken answers 200 with error bad_refresh_token, as GitHub
	// refuses a revoked or expired refresh token.
	BadRefreshToken
)

// Format is how the token endpoint writes a token.
type Format int

// The formats of [Provider.SetFormat].
const (
	// FormatJSON is the standard JSON object.
	FormatJSON Format = iota
	// FormatForm is application/x-www-form-urlencoded, as some older
	// providers answer.
	FormatForm
	// FormatWrapped puts the fields in an envelope; [WrappedFields] says
	// where.
	FormatWrapped
)

// WrappedFields are the manifest's tokenFields for [FormatWrapped]:
// {"ok": true, "data": {"token", "refresh", "expires", "type"}}.
func WrappedFields() *registry.TokenFields {
	return &registry.TokenFields{
		AccessToken: "data.token", RefreshToken: "data.refresh",
		ExpiresIn: "data.expires", TokenType: "data.type",
	}
}

// Provider is a running provider. Its methods are safe for concurrent use.
type Provider struct {
	// URL is the provider's base URL, on 127.0.0.1.
	URL string
	// ClientID and ClientSecret are the one client it knows.
	ClientID     string
	ClientSecret string

	mu       sync.Mutex
	now      func() time.Time
	user     string
	login    bool
	deny     bool
	style    string
	format   Format
	omitRT   bool
	delay    time.Duration
	expires  time.Duration
	failures []Failure

	codes    map[string]grant
	access   map[string]grant // token -> whom, until
	refresh  map[string]grant // live refresh tokens
	calls    map[string]int
	secrets  []string
	lastRT   string
	verifier map[string]bool
}

// grant is what a code or token stands for.
type grant struct {
	user      string
	redirect  string
	challenge string
	scope     string
	until     time.Time
}

// NewProvider starts a provider on 127.0.0.1 that t's cleanup stops. Its
// user is "alice", tokens last an hour, and clients authenticate with HTTP
// basic or form fields.
func NewProvider(t testing.TB) *Provider {
	t.Helper()
	p := &Provider{
		ClientID:     "client-" + rand.Text()[:8],
		ClientSecret: "secret-" + rand.Text(),
		now:          time.Now,
		user:         "alice",
		expires:      time.Hour,
		codes:        map[string]grant{},
		access:       map[string]grant{},
		refresh:      map[string]grant{},
		calls:        map[string]int{},
		verifier:     map[string]bool{},
	}
	p.secrets = append(p.secrets, p.ClientSecret)
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+AuthorizePath, p.authorize)
	mux.HandleFunc("POST "+TokenPath, p.token)
	mux.HandleFunc("GET "+UserPath, p.resource)
	// GitHub's paths, so that the github example runs against the provider
	// with authBaseUrl and baseUrl pointed at it.
	mux.HandleFunc("GET /login/oauth/authorize", p.authorize)
	mux.HandleFunc("POST /login/oauth/access_token", p.token)
	mux.HandleFunc("GET /user", p.resource)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// AuthorizeURL is the authorization endpoint.
func (p *Provider) AuthorizeURL() string { return p.URL + AuthorizePath }

// TokenURL is the token endpoint.
func (p *Provider) TokenURL() string { return p.URL + TokenPath }

// UserURL is the resource that names a bearer token's user.
func (p *Provider) UserURL() string { return p.URL + UserPath }

// SetUser makes user the one who approves from now on.
func (p *Provider) SetUser(user string) { p.with(func() { p.user = user }) }

// SetNow replaces the provider's clock, which decides when codes and
// access tokens expire.
func (p *Provider) SetNow(now func() time.Time) { p.with(func() { p.now = now }) }

// RequireLogin makes the authorization endpoint approve only a browser that
// carries the login cookie: the first request without it sets the cookie
// and redirects to itself.
func (p *Provider) RequireLogin() { p.with(func() { p.login = true }) }

// DenyNext makes the next authorization answer error access_denied.
func (p *Provider) DenyNext() { p.with(func() { p.deny = true }) }

// SetClientAuth accepts only "basic" or only "body" client authentication
// from now on; "" accepts both.
func (p *Provider) SetClientAuth(style string) { p.with(func() { p.style = style }) }

// SetExpiresIn sets the lifetime of the access tokens issued from now on;
// 0 leaves expires_in out of answers (and the tokens never expire).
func (p *Provider) SetExpiresIn(d time.Duration) { p.with(func() { p.expires = d }) }

// SetFormat sets how tokens are written from now on.
func (p *Provider) SetFormat(f Format) { p.with(func() { p.format = f }) }

// OmitRefreshToken, when on, leaves the refresh token out of every
// answer, as providers that keep refresh tokens (or issue none) do; a
// refresh token issued before stays valid however often it is used.
func (p *Provider) OmitRefreshToken(on bool) { p.with(func() { p.omitRT = on }) }

// SetDelay makes the token endpoint wait d before answering.
func (p *Provider) SetDelay(d time.Duration) { p.with(func() { p.delay = d }) }

// FailNext makes the next n token requests fail with f, after their
// client authentication is checked and the call counted.
func (p *Provider) FailNext(f Failure, n int) {
	p.with(func() {
		for range n {
			p.failures = append(p.failures, f)
		}
	})
}

// RevokeAll revokes every refresh token issued so far: using one answers
// invalid_grant.
func (p *Provider) RevokeAll() {
	p.with(func() {
		clear(p.refresh)
	})
}

// Calls returns how many token requests asked for grant
// ("authorization_code", "refresh_token", "client_credentials").
func (p *Provider) Calls(grant string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[grant]
}

// RefreshToken returns the refresh token issued last, "" before any.
func (p *Provider) RefreshToken() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastRT
}

// RefreshTokenValid reports whether rt would be accepted now.
func (p *Provider) RefreshTokenValid(rt string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.refresh[rt]
	return ok
}

// Secrets returns every secret the provider handed out or received: the
// client secret, codes, access and refresh tokens, PKCE verifiers.
func (p *Provider) Secrets() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := append([]string(nil), p.secrets...)
	for v := range p.verifier {
		out = append(out, v)
	}
	return out
}

func (p *Provider) with(fn func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fn()
}

// issue returns a new random secret with prefix, remembered for Secrets.
// p.mu is held.
func (p *Provider) issue(prefix string) string {
	s := prefix + rand.Text() + rand.Text()
	p.secrets = append(p.secrets, s)
	return s
}

// s256 is the PKCE S256 challenge of verifier.
func s256(verifier string) string {
	h := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(h[:])
}
