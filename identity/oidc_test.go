package identity_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/identity"
)

const testAudience = "switchboard-test"

// testIssuer is an OpenID Connect issuer on loopback: a discovery document
// and a key set that a test may change, counting the requests for each.
type testIssuer struct {
	srv *httptest.Server

	mu          sync.Mutex
	keys        []jose.JSONWebKey
	algs        []string
	claimed     string // the issuer the document names; "" is the server's URL
	failing     bool   // discovery answers 500
	keysFailing bool   // the key set answers 500
	padKeys     int    // bytes of padding in the key set
	discoveries int
	fetches     int
}

func newTestIssuer(t *testing.T) *testIssuer {
	t.Helper()
	is := &testIssuer{algs: []string{"RS256", "ES256"}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", is.serveDiscovery)
	mux.HandleFunc("GET /keys", is.serveKeys)
	is.srv = httptest.NewServer(mux)
	t.Cleanup(is.srv.Close)
	return is
}

func (is *testIssuer) serveDiscovery(w http.ResponseWriter, _ *http.Request) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.discoveries++
	if is.failing {
		http.Error(w, "down for maintenance", http.StatusInternalServerError)
		return
	}
	iss := is.claimed
	if iss == "" {
		iss = is.srv.URL
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"issuer": iss, "jwks_uri": is.srv.URL + "/keys",
		"authorization_endpoint":                is.srv.URL + "/authorize",
		"token_endpoint":                        is.srv.URL + "/token",
		"id_token_signing_alg_values_supported": is.algs,
	})
}

func (is *testIssuer) serveKeys(w http.ResponseWriter, _ *http.Request) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.fetches++
	if is.keysFailing {
		http.Error(w, "down for maintenance", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if is.padKeys > 0 {
		_, _ = w.Write([]byte(strings.Repeat(" ", is.padKeys)))
	}
	_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: is.keys})
}

// publish makes keys the issuer's key set, replacing what it was.
func (is *testIssuer) publish(keys ...testKey) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.keys = nil
	for _, k := range keys {
		is.keys = append(is.keys, k.public())
	}
}

func (is *testIssuer) set(fn func(is *testIssuer)) {
	is.mu.Lock()
	defer is.mu.Unlock()
	fn(is)
}

func (is *testIssuer) counts() (discoveries, fetches int) {
	is.mu.Lock()
	defer is.mu.Unlock()
	return is.discoveries, is.fetches
}

// testKey is a signing key of the test issuer, or of a stranger.
type testKey struct {
	kid  string
	alg  jose.SignatureAlgorithm
	priv crypto.Signer
}

func ecKey(t *testing.T, kid string) testKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return testKey{kid: kid, alg: jose.ES256, priv: priv}
}

func rsaKey(t *testing.T, kid string) testKey {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	return testKey{kid: kid, alg: jose.RS256, priv: priv}
}

func (k testKey) public() jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.kid, Algorithm: string(k.alg),
		Use: "sig"}
}

// sign returns c signed by k, with k's kid.
func (k testKey) sign(t *testing.T, c claims) string {
	t.Helper()
	return sign(t, k.alg, k.priv, k.kid, c)
}

// publicPEM is the public key as a PEM block: what an attacker would use
// as an HMAC secret.
func (k testKey) publicPEM(t *testing.T) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(k.priv.Public())
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// oidcAuth returns an Authenticator trusting is, reading roles from the
// "groups" claim, on clk; hs256 is also accepted when set.
func oidcAuth(
	t *testing.T, is *testIssuer, clk *clock, hs256 *identity.HS256Issuer,
) (*identity.Authenticator, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	a, err := identity.New(identity.Config{Store: &fakeStore{}, Now: clk.Now,
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
		JWT: identity.JWTConfig{
			OIDC:       []identity.OIDCIssuer{{URL: is.srv.URL, Audience: testAudience}},
			HS256:      hs256,
			RolesClaim: "groups",
			HTTPClient: is.srv.Client(),
		}})
	require.NoError(t, err)
	return a, logs
}

// idClaims are valid claims of is at clk's time.
func idClaims(is *testIssuer, clk *clock) claims {
	now := clk.Now()
	return claims{"iss": is.srv.URL, "sub": "auth0|6543", "aud": testAudience,
		"iat": unix(now), "exp": unix(now.Add(10 * time.Minute))}
}

func TestOIDCAccepts(t *testing.T) {
	t.Parallel()
	clk := newClock()
	is := newTestIssuer(t)
	ec, rs := ecKey(t, "ec-1"), rsaKey(t, "rsa-1")
	is.publish(ec, rs)
	a, _ := oidcAuth(t, is, clk, nil)
	base := idClaims(is, clk)

	tests := []struct {
		name  string
		token string
		roles []string
	}{
		{"es256", ec.sign(t, base.with("groups", []string{"admin", "ops"})),
			[]string{"admin", "ops"}},
		{"rs256", rs.sign(t, base), nil},
		{"roles as a string", ec.sign(t, base.with("groups", "ops")), []string{"ops"}},
		{"audience among several", rs.sign(t, base.with("aud", []string{"x", testAudience})), nil},
		{"no kid", sign(t, jose.ES256, ec.priv, "", base), nil},
	}
	for _, tt := range tests {
		c, err := a.AuthenticateRequest(t.Context(), tt.token)
		require.NoError(t, err, tt.name)
		require.Equal(t, identity.Caller{
			Principal: switchboard.Principal{Kind: switchboard.KindUser, ID: "auth0|6543"},
			Roles:     tt.roles, Via: identity.ViaJWT, Issuer: is.srv.URL,
		}, c, tt.name)
	}
	discoveries, fetches := is.counts()
	require.Equal(t, 1, discoveries)
	require.Equal(t, 1, fetches, "keys are cached")
}

func TestOIDCRefuses(t *testing.T) {
	t.Parallel()
	clk := newClock()
	is := newTestIssuer(t)
	key, stranger := ecKey(t, "ec-1"), ecKey(t, "stranger")
	rs := rsaKey(t, "rsa-1")
	is.publish(key, rs)
	a, logs := oidcAuth(t, is, clk, nil)
	base := idClaims(is, clk)
	now := clk.Now()
	valid := key.sign(t, base)
	_, err := a.Authenticate(t.Context(), valid)
	require.NoError(t, err)

	tests := []struct {
		name  string
		token string
		want  string
	}{
		{"expired", key.sign(t, base.with("exp", unix(now.Add(-time.Minute)))), "expired"},
		{"no expiry", key.sign(t, base.with("exp", nil)), "no expiry"},
		{"not yet valid", key.sign(t, base.with("nbf", unix(now.Add(time.Minute)))),
			"not valid yet"},
		{"wrong audience", key.sign(t, base.with("aud", "another-app")),
			"not meant for this server"},
		{"wrong issuer", key.sign(t, base.with("iss", "http://127.0.0.1:1")),
			"issuer (iss) is not trusted"},
		{"no issuer", key.sign(t, base.with("iss", nil)), "issuer (iss) is not trusted"},
		{"alg none", unsigned(t, base), "not signed"},
		{"unknown kid", stranger.sign(t, base), "signature is not valid"},
		{"known kid, other key", sign(t, jose.ES256, stranger.priv, key.kid, base),
			"signature is not valid"},
		{"no kid, other key", sign(t, jose.ES256, stranger.priv, "", base),
			"signature is not valid"},
		{"tampered claims", tamper(t, valid, base.with("sub", "admin")),
			"signature is not valid"},
		{"hs256 with the public key", sign(t, jose.HS256, key.publicPEM(t), key.kid, base),
			"algorithm is not accepted"},
		{"hs256 with the rsa key", sign(t, jose.HS256, rs.publicPEM(t), rs.kid, base),
			"algorithm is not accepted"},
		{"an algorithm not advertised", sign(t, jose.PS256, rs.priv, rs.kid, base),
			"algorithm is not accepted"},
		{"bad subject", key.sign(t, base.with("sub", "a b")), "subject (sub)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := a.AuthenticateRequest(t.Context(), tt.token)
			require.Zero(t, c)
			requireRefused(t, err, tt.want, tt.token, logs)
		})
	}
}

// TestOIDCNeverHMACWithPublicKey configures a shared secret that is the
// OIDC issuer's public key itself: a token naming the OIDC issuer must
// still never be checked with it.
func TestOIDCNeverHMACWithPublicKey(t *testing.T) {
	t.Parallel()
	clk := newClock()
	is := newTestIssuer(t)
	key := ecKey(t, "ec-1")
	is.publish(key)
	a, logs := oidcAuth(t, is, clk, &identity.HS256Issuer{Secret: key.publicPEM(t),
		Audience: testAudience})
	forged := sign(t, jose.HS256, key.publicPEM(t), key.kid, idClaims(is, clk))
	_, err := a.Authenticate(t.Context(), forged)
	requireRefused(t, err, "algorithm is not accepted", forged, logs)
}

func TestOIDCAlgorithmsAdvertised(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		algs   []string
		ok     bool
		reason string
	}{
		{"es256 advertised", []string{"ES256"}, true, ""},
		{"only rs256 advertised", []string{"RS256"}, false, "algorithm is not accepted"},
		{"nothing advertised means rs256", nil, false, "algorithm is not accepted"},
		{"only hs256 advertised", []string{"HS256"}, false, "cannot be reached"},
		{"none advertised", []string{"none"}, false, "cannot be reached"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			is := newTestIssuer(t)
			key := ecKey(t, "ec-1")
			is.publish(key)
			is.set(func(is *testIssuer) { is.algs = tt.algs })
			a, logs := oidcAuth(t, is, clk, nil)
			token := key.sign(t, idClaims(is, clk))
			_, err := a.Authenticate(t.Context(), token)
			if tt.ok {
				require.NoError(t, err)
				return
			}
			requireRefused(t, err, tt.reason, token, logs)
		})
	}
}

// TestOIDCKeyRotation checks that a key published after the key set was
// cached is found by fetching it again, and that unknown keys make the
// issuer's key set be fetched at most once every ten seconds.
func TestOIDCKeyRotation(t *testing.T) {
	t.Parallel()
	clk := newClock()
	is := newTestIssuer(t)
	old, next := ecKey(t, "2031-05"), ecKey(t, "2031-06")
	is.publish(old)
	a, _ := oidcAuth(t, is, clk, nil)

	_, err := a.Authenticate(t.Context(), old.sign(t, idClaims(is, clk)))
	require.NoError(t, err)
	requireFetches(t, is, 1)

	// The issuer starts signing with a key published after the fetch.
	is.publish(old, next)
	_, err = a.Authenticate(t.Context(), next.sign(t, idClaims(is, clk)))
	requireUnauthenticated(t, err)
	requireFetches(t, is, 1) // fetched moments ago: not again

	clk.Add(11 * time.Second)
	c, err := a.AuthenticateRequest(t.Context(), next.sign(t, idClaims(is, clk)))
	require.NoError(t, err, "accepted after the refresh")
	require.Equal(t, "user:auth0|6543", c.Principal.String())
	requireFetches(t, is, 2)

	// Both keys are cached now; an unknown kid waits for the throttle.
	_, err = a.Authenticate(t.Context(), old.sign(t, idClaims(is, clk)))
	require.NoError(t, err)
	for range 5 {
		_, err = a.Authenticate(t.Context(), ecKey(t, "bogus").sign(t, idClaims(is, clk)))
		requireUnauthenticated(t, err)
	}
	requireFetches(t, is, 2)
	clk.Add(11 * time.Second)
	_, err = a.Authenticate(t.Context(), ecKey(t, "bogus").sign(t, idClaims(is, clk)))
	requireUnauthenticated(t, err)
	requireFetches(t, is, 3)
}

func requireFetches(t *testing.T, is *testIssuer, want int) {
	t.Helper()
	_, fetches := is.counts()
	require.Equal(t, want, fetches, "key set fetches")
}

// TestOIDCDiscoveryFailure checks that an issuer that cannot be discovered
// refuses its tokens with a warning naming it, is tried again no more than
// every ten seconds, and works once it answers.
func TestOIDCDiscoveryFailure(t *testing.T) {
	t.Parallel()
	clk := newClock()
	is := newTestIssuer(t)
	key := ecKey(t, "ec-1")
	is.publish(key)
	is.set(func(is *testIssuer) { is.failing = true })
	a, logs := oidcAuth(t, is, clk, nil)

	token := key.sign(t, idClaims(is, clk))
	_, err := a.Authenticate(t.Context(), token)
	requireRefused(t, err, "cannot be reached", token, logs)
	require.Contains(t, logs.String(), "token issuer discovery failed")
	require.Contains(t, logs.String(), "issuer="+is.srv.URL)
	require.NotContains(t, logs.String(), "maintenance", "the answer's body is dropped")

	_, err = a.Authenticate(t.Context(), token)
	requireUnauthenticated(t, err)
	discoveries, _ := is.counts()
	require.Equal(t, 1, discoveries, "not tried again at once")

	is.set(func(is *testIssuer) { is.failing = false })
	clk.Add(11 * time.Second)
	_, err = a.Authenticate(t.Context(), key.sign(t, idClaims(is, clk)))
	require.NoError(t, err)
	discoveries, _ = is.counts()
	require.Equal(t, 2, discoveries)
	require.NoError(t, a.DiscoverIssuers(t.Context()), "discovered already")
}

func TestDiscoverIssuers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(is *testIssuer)
		want  string
	}{
		{"ok", func(*testIssuer) {}, ""},
		{"down", func(is *testIssuer) { is.failing = true }, "500"},
		{"names another issuer", func(is *testIssuer) { is.claimed = "https://evil.example" },
			"evil.example"},
		{"only hs256", func(is *testIssuer) { is.algs = []string{"HS256"} },
			"no public-key signing algorithm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			is := newTestIssuer(t)
			is.set(tt.setup)
			a, logs := oidcAuth(t, is, newClock(), nil)
			err := a.DiscoverIssuers(t.Context())
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.want)
			require.ErrorContains(t, err, is.srv.URL)
			require.Contains(t, logs.String(), "token issuer discovery failed")
		})
	}
}

// TestOIDCKeysUnavailable checks that an issuer whose key set cannot be
// fetched refuses its tokens and that the warning names the issuer.
func TestOIDCKeysUnavailable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		set  func(is *testIssuer)
		log  string
	}{
		{"error answer", func(is *testIssuer) { is.keysFailing = true }, "status=500"},
		{"oversized answer", func(is *testIssuer) { is.padKeys = 2 << 20 }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			is := newTestIssuer(t)
			key := ecKey(t, "ec-1")
			is.publish(key)
			is.set(tt.set)
			a, logs := oidcAuth(t, is, clk, nil)
			token := key.sign(t, idClaims(is, clk))
			_, err := a.Authenticate(t.Context(), token)
			requireRefused(t, err, "signature is not valid", token, logs)
			if tt.log != "" {
				require.Contains(t, logs.String(), "token issuer answered with an error")
				require.Contains(t, logs.String(), "issuer="+is.srv.URL)
				require.Contains(t, logs.String(), tt.log)
			}
		})
	}
}
