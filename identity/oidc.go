package identity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/internal/logkey"
)

// Timings of the requests to OIDC issuers.
const (
	// issuerTimeout bounds one request to an issuer.
	issuerTimeout = 10 * time.Second
	// discoveryRetry is the least time between two attempts at discovering
	// an issuer; tokens of an issuer not discovered yet are refused between.
	discoveryRetry = 10 * time.Second
	// minKeyRefresh is the least time between two fetches of an issuer's
	// key set, however many tokens name keys it does not hold.
	minKeyRefresh = 10 * time.Second
)

// maxIssuerAnswer caps a discovery document or key set, in bytes.
const maxIssuerAnswer = 1 << 20

// asymmetric lists the algorithms an OIDC issuer's tokens may be signed
// with, whatever it advertises: public-key signatures only, so that no
// token can be signed with a key that the issuer publishes.
var asymmetric = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
}

// oidcIssuer verifies the tokens of one OpenID Connect issuer. It is
// discovered on first use; its keys are fetched by go-oidc's RemoteKeySet,
// which caches them and fetches them again when a token names a key it
// does not hold (through a transport that allows that every
// [minKeyRefresh] at most).
type oidcIssuer struct {
	url, audience string
	discovery     *http.Client
	keysClient    *http.Client
	now           func() time.Time
	log           *slog.Logger

	ready  atomic.Pointer[discovered]
	mu     sync.Mutex // held while discovering
	failed time.Time  // when discovery last failed
}

// discovered is what discovery found.
type discovered struct {
	keys oidc.KeySet
	algs []jose.SignatureAlgorithm
}

func newOIDCIssuer(
	c OIDCIssuer, base *http.Client, now func() time.Time, log *slog.Logger,
) (*oidcIssuer, error) {
	if err := checkIssuerURL(c.URL); err != nil {
		return nil, fmt.Errorf("url: %w", err)
	}
	if c.Audience == "" {
		return nil, fmt.Errorf("issuer %s: audience is required", c.URL)
	}
	// Discovery logs its own failures; the key set's are logged as they
	// happen.
	discovery := &issuerTransport{issuer: c.URL, log: log, now: now}
	keys := &issuerTransport{issuer: c.URL, log: log, now: now, every: minKeyRefresh,
		logs: true}
	return &oidcIssuer{
		url: c.URL, audience: c.Audience, now: now, log: log,
		discovery: issuerClient(base, discovery), keysClient: issuerClient(base, keys),
	}, nil
}

// checkIssuerURL accepts an absolute https URL without query or fragment,
// or such an http URL to a loopback address.
func checkIssuerURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q must be an absolute URL without user, query or fragment", raw)
	}
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil
	default:
		return fmt.Errorf("%q must be https (http only to a loopback address)", raw)
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// issuerClient returns base (or a default client) with its transport
// wrapped by t, and a timeout when it has none.
func issuerClient(base *http.Client, t *issuerTransport) *http.Client {
	c := http.Client{Timeout: issuerTimeout}
	if base != nil {
		c = *base
	}
	if c.Timeout == 0 {
		c.Timeout = issuerTimeout
	}
	t.base = c.Transport
	if t.base == nil {
		t.base = http.DefaultTransport
	}
	c.Transport = t
	return &c
}

// verify checks token's algorithm and signature with the issuer's keys and
// returns its claims, not checked yet.
func (o *oidcIssuer) verify(ctx context.Context, token, alg string) ([]byte, error) {
	d, err := o.discover(ctx)
	if err != nil {
		return nil, switchboard.Wrap(switchboard.CodeUnauthenticated, err,
			"the token's issuer cannot be reached now: try again later")
	}
	if !slices.Contains(d.algs, jose.SignatureAlgorithm(alg)) {
		return nil, unauthenticated("the token's signing algorithm is not accepted")
	}
	if _, err := jose.ParseSignedCompact(token, d.algs); err != nil {
		return nil, switchboard.Wrap(switchboard.CodeUnauthenticated, err,
			"the bearer token is not a valid JWT")
	}
	payload, err := d.keys.VerifySignature(ctx, token)
	if err != nil {
		return nil, switchboard.Wrap(switchboard.CodeUnauthenticated, err,
			"the token's signature is not valid for its issuer's keys")
	}
	return payload, nil
}

// discover returns what discovery found, discovering the issuer first if
// need be; after a failure it tries again no sooner than [discoveryRetry].
func (o *oidcIssuer) discover(ctx context.Context) (*discovered, error) {
	if d := o.ready.Load(); d != nil {
		return d, nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if d := o.ready.Load(); d != nil {
		return d, nil
	}
	if !o.failed.IsZero() && o.now().Sub(o.failed) < discoveryRetry {
		return nil, errors.New("issuer discovery failed moments ago")
	}

	// A caller that hangs up does not make discovery fail for the others.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), issuerTimeout)
	defer cancel()
	d, err := o.fetchMetadata(ctx)
	if err != nil {
		o.failed = o.now()
		o.log.WarnContext(ctx, "token issuer discovery failed",
			slog.String(logkey.Issuer, o.url), slog.Any(logkey.Err, err))
		return nil, err
	}
	o.ready.Store(d)
	o.log.InfoContext(ctx, "token issuer discovered", slog.String(logkey.Issuer, o.url))
	return d, nil
}

// fetchMetadata reads the issuer's discovery document.
func (o *oidcIssuer) fetchMetadata(ctx context.Context) (*discovered, error) {
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, o.discovery), o.url)
	if err != nil {
		return nil, fmt.Errorf("discover %s: %w", o.url, err)
	}
	var meta struct {
		JWKSURL string   `json:"jwks_uri"`
		Algs    []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := p.Claims(&meta); err != nil {
		return nil, fmt.Errorf("discover %s: %w", o.url, err)
	}
	if err := checkIssuerURL(meta.JWKSURL); err != nil {
		return nil, fmt.Errorf("discover %s: jwks_uri: %w", o.url, err)
	}
	algs, err := acceptedAlgs(meta.Algs)
	if err != nil {
		return nil, fmt.Errorf("discover %s: %w", o.url, err)
	}
	// The key set fetches with a context of its own, never a request's.
	keysCtx := oidc.ClientContext(context.Background(), o.keysClient)
	return &discovered{keys: oidc.NewRemoteKeySet(keysCtx, meta.JWKSURL), algs: algs}, nil
}

// acceptedAlgs returns the asymmetric algorithms among those an issuer
// advertises; RS256, which every issuer supports, when it advertises none.
func acceptedAlgs(advertised []string) ([]jose.SignatureAlgorithm, error) {
	if len(advertised) == 0 {
		return []jose.SignatureAlgorithm{jose.RS256}, nil
	}
	var algs []jose.SignatureAlgorithm
	for _, a := range advertised {
		if alg := jose.SignatureAlgorithm(a); slices.Contains(asymmetric, alg) {
			algs = append(algs, alg)
		}
	}
	if len(algs) == 0 {
		return nil, errors.New("the issuer advertises no public-key signing algorithm")
	}
	return algs, nil
}

// DiscoverIssuers discovers every OIDC issuer not discovered yet and
// returns the errors of those that fail, each naming its issuer; each
// failure is also logged. Calling it is optional (an issuer is discovered
// on its first token), but at start it tells the operator at once of an
// issuer that is misconfigured or unreachable.
func (a *Authenticator) DiscoverIssuers(ctx context.Context) error {
	if a.jwt == nil {
		return nil
	}
	var errs []error
	for _, o := range a.jwt.issuers {
		if _, err := o.discover(ctx); err != nil {
			errs = append(errs, fmt.Errorf("token issuer %s: %w", o.url, err))
		}
	}
	return errors.Join(errs...)
}

// Errors of [issuerTransport].
var (
	errThrottled = errors.New("the issuer's keys were fetched moments ago")
	errTooLarge  = fmt.Errorf("the issuer's answer exceeds %d bytes", maxIssuerAnswer)
)

// issuerTransport carries the requests to one issuer: it caps answers at
// [maxIssuerAnswer] and drops the body of an error answer (so that it
// reaches no error message). For the key set it also lets a request through
// at most once per every, and logs failures naming the issuer, since
// go-oidc reports them only as a signature it could not verify.
type issuerTransport struct {
	base   http.RoundTripper
	issuer string
	log    *slog.Logger
	now    func() time.Time
	every  time.Duration // 0 lets every request through
	logs   bool          // log failures

	mu   sync.Mutex
	last time.Time
}

// RoundTrip implements http.RoundTripper.
func (t *issuerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.allow() {
		return nil, errThrottled
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		t.warn(req.Context(), "token issuer unreachable", slog.Any(logkey.Err, err))
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		_ = resp.Body.Close()
		resp.Body = http.NoBody
		t.warn(req.Context(), "token issuer answered with an error",
			slog.Int(logkey.Status, resp.StatusCode), slog.String(logkey.Path, req.URL.Path))
		return resp, nil
	}
	resp.Body = &cappedBody{ReadCloser: resp.Body, left: maxIssuerAnswer}
	return resp, nil
}

func (t *issuerTransport) allow() bool {
	if t.every == 0 {
		return true
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if !t.last.IsZero() && now.Sub(t.last) < t.every {
		return false
	}
	t.last = now
	return true
}

func (t *issuerTransport) warn(ctx context.Context, msg string, attrs ...slog.Attr) {
	if !t.logs {
		return
	}
	attrs = append([]slog.Attr{slog.String(logkey.Issuer, t.issuer)}, attrs...)
	t.log.LogAttrs(ctx, slog.LevelWarn, msg, attrs...)
}

// cappedBody fails a read past left bytes.
type cappedBody struct {
	io.ReadCloser
	left int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n, errTooLarge
	}
	return n, err
}
