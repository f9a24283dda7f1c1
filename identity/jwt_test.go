package identity_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/identity"
)

// claims are a token's claims; times are relative to a test's clock.
type claims map[string]any

// with returns a copy of c with the given claims set, or removed when nil.
func (c claims) with(kv ...any) claims {
	out := claims{}
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// unix is at in seconds, as a JWT writes times.
func unix(at time.Time) int64 { return at.Unix() }

// sign returns a compact JWT of c signed by key with alg; kid, when set,
// goes in the header.
func sign(t testing.TB, alg jose.SignatureAlgorithm, key any, kid string, c claims) string {
	t.Helper()
	if kid != "" {
		key = jose.JSONWebKey{Key: key, KeyID: kid}
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key},
		(&jose.SignerOptions{}).WithType("JWT"))
	require.NoError(t, err)
	token, err := jwt.Signed(signer).Claims(map[string]any(c)).Serialize()
	require.NoError(t, err)
	return token
}

// unsigned returns a JWT of c with alg "none" and no signature.
func unsigned(t testing.TB, c claims) string {
	t.Helper()
	body, err := json.Marshal(c)
	require.NoError(t, err)
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc(body) + "."
}

// tamper returns token with its claims replaced by c, keeping the header
// and signature.
func tamper(t *testing.T, token string, c claims) string {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	body, err := json.Marshal(c)
	require.NoError(t, err)
	parts[1] = base64.RawURLEncoding.EncodeToString(body)
	return strings.Join(parts, ".")
}

// requireRefused fails t unless err is unauthenticated with a message
// containing want, and unless neither err nor logs hold token's signature.
func requireRefused(t *testing.T, err error, want, token string, logs *logBuffer) {
	t.Helper()
	requireUnauthenticated(t, err)
	e := switchboard.AsError(err)
	require.Contains(t, e.Message, want)
	parts := strings.Split(token, ".")
	secretish := parts[len(parts)-1]
	if secretish == "" {
		secretish = parts[1]
	}
	require.NotContains(t, err.Error(), secretish)
	if e.Cause != nil {
		require.NotContains(t, e.Cause.Error(), secretish)
	}
	if logs != nil {
		require.NotContains(t, logs.String(), secretish)
	}
}

func TestNewRefusesJWTConfig(t *testing.T) {
	t.Parallel()
	secret := bytes.Repeat([]byte("s"), identity.MinHS256Secret)
	oidc := func(url, aud string) []identity.OIDCIssuer {
		return []identity.OIDCIssuer{{URL: url, Audience: aud}}
	}
	tests := []struct {
		name string
		cfg  identity.JWTConfig
		want string
	}{
		{"short secret", identity.JWTConfig{HS256: &identity.HS256Issuer{
			Secret: secret[1:]}}, "at least 32 bytes"},
		{"negative leeway", identity.JWTConfig{HS256: &identity.HS256Issuer{Secret: secret},
			Leeway: -time.Second}, "leeway"},
		{"long leeway", identity.JWTConfig{HS256: &identity.HS256Issuer{Secret: secret},
			Leeway: time.Hour}, "leeway"},
		{"no audience", identity.JWTConfig{OIDC: oidc("https://login.example.com", "")},
			"audience is required"},
		{"plain http", identity.JWTConfig{OIDC: oidc("http://login.example.com", "sb")},
			"must be https"},
		{"relative", identity.JWTConfig{OIDC: oidc("login.example.com", "sb")},
			"absolute URL"},
		{"query", identity.JWTConfig{OIDC: oidc("https://login.example.com/?x=1", "sb")},
			"absolute URL"},
		{"other scheme", identity.JWTConfig{OIDC: oidc("ftp://login.example.com", "sb")},
			"must be https"},
		{"twice", identity.JWTConfig{OIDC: append(oidc("https://a.example.com", "sb"),
			oidc("https://a.example.com", "other")...)}, "configured twice"},
		{"roles claim without issuer", identity.JWTConfig{RolesClaim: "roles"},
			"needs a jwt issuer"},
		{"hs256 issuer is an oidc issuer", identity.JWTConfig{
			OIDC:  oidc("https://a.example.com", "sb"),
			HS256: &identity.HS256Issuer{Secret: secret, Issuer: "https://a.example.com"}},
			"also an oidc issuer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := identity.New(identity.Config{Store: &fakeStore{}, JWT: tt.cfg})
			require.ErrorContains(t, err, tt.want)
			require.NotContains(t, err.Error(), string(secret))
		})
	}
}

func TestNewAcceptsJWTConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  identity.JWTConfig
	}{
		{"none", identity.JWTConfig{}},
		{"https issuer", identity.JWTConfig{OIDC: []identity.OIDCIssuer{
			{URL: "https://login.example.com/tenant/", Audience: "sb"}}}},
		{"loopback http", identity.JWTConfig{OIDC: []identity.OIDCIssuer{
			{URL: "http://127.0.0.1:8080", Audience: "sb"},
			{URL: "http://localhost:8080", Audience: "sb"},
			{URL: "http://[::1]:8080", Audience: "sb"}}}},
		{"custom client", identity.JWTConfig{HTTPClient: &http.Client{},
			OIDC: []identity.OIDCIssuer{{URL: "https://a.example.com", Audience: "sb"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := identity.New(identity.Config{Store: &fakeStore{}, JWT: tt.cfg})
			require.NoError(t, err)
		})
	}
}

// hs256Auth returns an Authenticator accepting HS256 tokens under secret,
// with roles in the "roles" claim, on clk.
func hs256Auth(
	t *testing.T, clk *clock, h identity.HS256Issuer,
) (*identity.Authenticator, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	a, err := identity.New(identity.Config{Store: &fakeStore{}, Now: clk.Now,
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
		JWT:    identity.JWTConfig{HS256: &h, RolesClaim: "roles"}})
	require.NoError(t, err)
	return a, logs
}

func TestHS256Accepts(t *testing.T) {
	t.Parallel()
	clk := newClock()
	secret := bytes.Repeat([]byte{0x5c}, 48)
	a, _ := hs256Auth(t, clk, identity.HS256Issuer{Secret: secret})
	now := clk.Now()
	base := claims{"sub": "auth0|6543", "aud": identity.DefaultAudience,
		"iat": unix(now), "exp": unix(now.Add(time.Hour))}

	tests := []struct {
		name  string
		c     claims
		roles []string
	}{
		{"plain", base, nil},
		{"roles as a list", base.with("roles", []string{"admin", "ops", "admin", ""}),
			[]string{"admin", "ops"}},
		{"roles as a string", base.with("roles", " admin  ops "), []string{"admin", "ops"}},
		{"empty roles", base.with("roles", []string{}), nil},
		{"null roles", base.with("roles", json.RawMessage("null")), nil},
		{"audience in a list", base.with("aud", []string{"other", identity.DefaultAudience}), nil},
		{"any issuer", base.with("iss", "https://platform.example.com"), nil},
		{"expired within the leeway", base.with("exp", unix(now.Add(-20*time.Second))), nil},
		{"valid within the leeway", base.with("nbf", unix(now.Add(20*time.Second))), nil},
		{"issued within the leeway", base.with("iat", unix(now.Add(20*time.Second))), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			token := sign(t, jose.HS256, secret, "", tt.c)
			c, err := a.AuthenticateRequest(t.Context(), token)
			require.NoError(t, err)
			require.Equal(t, switchboard.Principal{Kind: switchboard.KindUser,
				ID: "auth0|6543"}, c.Principal)
			require.Equal(t, tt.roles, c.Roles)
			require.Equal(t, identity.ViaJWT, c.Via)
			p, err := a.Authenticate(t.Context(), token)
			require.NoError(t, err)
			require.Equal(t, c.Principal, p)
		})
	}
}

func TestHS256Refuses(t *testing.T) {
	t.Parallel()
	clk := newClock()
	secret := bytes.Repeat([]byte{0x5c}, 64)
	a, logs := hs256Auth(t, clk, identity.HS256Issuer{Secret: secret,
		Issuer: "https://platform.example.com", Audience: "switchboard-prod"})
	now := clk.Now()
	base := claims{"sub": "ann", "aud": "switchboard-prod", "iss": "https://platform.example.com",
		"exp": unix(now.Add(time.Hour))}
	valid := sign(t, jose.HS256, secret, "", base)
	_, err := a.Authenticate(t.Context(), valid)
	require.NoError(t, err, "the base token is valid")
	other := bytes.Repeat([]byte{0x36}, 64)
	many := make([]string, 65)
	for i := range many {
		many[i] = fmt.Sprint("role", i)
	}

	tests := []struct {
		name  string
		token string
		want  string
	}{
		{"expired", sign(t, jose.HS256, secret, "", base.with("exp", unix(now.Add(-time.Minute)))),
			"expired"},
		{"no expiry", sign(t, jose.HS256, secret, "", base.with("exp", nil)), "no expiry"},
		{"not yet valid", sign(t, jose.HS256, secret, "",
			base.with("nbf", unix(now.Add(time.Minute)))), "not valid yet"},
		{"issued in the future", sign(t, jose.HS256, secret, "",
			base.with("iat", unix(now.Add(time.Minute)))), "issued in the future"},
		{"wrong secret", sign(t, jose.HS256, other, "", base), "signature is not valid"},
		{"wrong audience", sign(t, jose.HS256, secret, "", base.with("aud", "switchboard")),
			"not meant for this server"},
		{"no audience", sign(t, jose.HS256, secret, "", base.with("aud", nil)),
			"not meant for this server"},
		{"wrong issuer", sign(t, jose.HS256, secret, "", base.with("iss", "https://evil.example")),
			"issuer (iss) is not trusted"},
		{"no issuer", sign(t, jose.HS256, secret, "", base.with("iss", nil)),
			"issuer (iss) is not trusted"},
		{"alg none", unsigned(t, base), "not signed"},
		{"other algorithm", sign(t, jose.HS512, secret, "", base), "algorithm is not accepted"},
		{"tampered claims", tamper(t, valid, base.with("sub", "admin")), "signature is not valid"},
		{"no subject", sign(t, jose.HS256, secret, "", base.with("sub", nil)), "subject (sub)"},
		{"bad subject", sign(t, jose.HS256, secret, "", base.with("sub", "a/b")), "subject (sub)"},
		{"the administrator's subject", sign(t, jose.HS256, secret, "", base.with("sub", "admin")),
			"subject (sub) is reserved"},
		{"roles of numbers", sign(t, jose.HS256, secret, "", base.with("roles", []int{1})),
			"roles claim must be"},
		{"roles as an object", sign(t, jose.HS256, secret, "",
			base.with("roles", map[string]string{"a": "b"})), "roles claim must be"},
		{"too many roles", sign(t, jose.HS256, secret, "",
			base.with("roles", many)), "roles claim must be"},
		{"role too long", sign(t, jose.HS256, secret, "",
			base.with("roles", strings.Repeat("r", 129))), "roles claim must be"},
		{"exp not a number", sign(t, jose.HS256, secret, "", base.with("exp", "tomorrow")),
			"claims are not valid"},
		{"not a jwt", "a.b.c", "not a valid JWT"},
		{"too long", valid + strings.Repeat("A", 16<<10), "too long"},
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

func TestJWTRolesClaimPaths(t *testing.T) {
	t.Parallel()
	clk := newClock()
	secret := bytes.Repeat([]byte{0x5c}, 32)
	now := clk.Now()
	base := claims{"sub": "ann", "aud": identity.DefaultAudience, "exp": unix(now.Add(time.Hour))}
	tests := []struct {
		name  string
		claim string
		c     claims
		roles []string
	}{
		{"top level", "roles", base.with("roles", []string{"a"}), []string{"a"}},
		{"namespaced url", "https://example.com/roles",
			base.with("https://example.com/roles", []string{"a"}), []string{"a"}},
		{"nested", "realm_access.roles",
			base.with("realm_access", map[string]any{"roles": []string{"a", "b"}}),
			[]string{"a", "b"}},
		{"top level wins", "a.b", base.with("a.b", "top", "a", map[string]any{"b": "nested"}),
			[]string{"top"}},
		{"absent", "groups", base, nil},
		{"path through a string", "roles.x", base.with("roles", "a"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := identity.New(identity.Config{Store: &fakeStore{}, Now: clk.Now,
				JWT: identity.JWTConfig{HS256: &identity.HS256Issuer{Secret: secret},
					RolesClaim: tt.claim}})
			require.NoError(t, err)
			c, err := a.AuthenticateRequest(t.Context(), sign(t, jose.HS256, secret, "", tt.c))
			require.NoError(t, err)
			require.Equal(t, tt.roles, c.Roles)
		})
	}
}

func TestAuthenticateDispatch(t *testing.T) {
	t.Parallel()
	clk := newClock()
	secret := bytes.Repeat([]byte{0x5c}, 32)
	token := sign(t, jose.HS256, secret, "", claims{"sub": "ann",
		"aud": identity.DefaultAudience, "exp": unix(clk.Now().Add(time.Hour))})

	keysOnly, _ := newClockedAuth(t, &fakeStore{}, clk)
	_, err := keysOnly.Authenticate(t.Context(), token)
	requireRefused(t, err, "trusts no token issuer", token, nil)

	both, _ := hs256Auth(t, clk, identity.HS256Issuer{Secret: secret})
	key, _, err := both.CreateKey(t.Context(), robot, "ci")
	require.NoError(t, err)
	tests := []struct {
		name  string
		token string
		via   string
		want  string
	}{
		{"api key", key, identity.ViaAPIKey, "agent:robot"},
		{"jwt", token, identity.ViaJWT, "user:ann"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := both.AuthenticateRequest(t.Context(), tt.token)
			require.NoError(t, err)
			require.Equal(t, tt.via, c.Via)
			require.Equal(t, tt.want, c.Principal.String())
		})
	}
	for _, bad := range []string{"", "a.b", "a.b.c.d", "sbk_a.b.c", "Bearer x"} {
		_, err := both.Authenticate(t.Context(), bad)
		requireUnauthenticated(t, err)
	}
}

// FuzzAuthenticateRequest feeds arbitrary tokens to an Authenticator that
// accepts HS256 tokens and API keys: none may panic, every refusal is
// unauthenticated, and only the seed's subject is ever accepted.
func FuzzAuthenticateRequest(f *testing.F) {
	clk := newClock()
	secret := bytes.Repeat([]byte{0x5c}, 32)
	c := claims{"sub": "ann", "aud": identity.DefaultAudience, "roles": []string{"ops"},
		"exp": unix(clk.Now().Add(time.Hour))}
	valid := sign(f, jose.HS256, secret, "", c)
	for _, seed := range []string{valid, unsigned(f, c), "a.b.c", "sbk_x", "..", "e30.e30.",
		sign(f, jose.HS256, bytes.Repeat([]byte{1}, 32), "", c)} {
		f.Add(seed)
	}
	a, err := identity.New(identity.Config{Store: &fakeStore{}, Now: clk.Now,
		JWT: identity.JWTConfig{HS256: &identity.HS256Issuer{Secret: secret},
			RolesClaim: "roles"}})
	require.NoError(f, err)

	f.Fuzz(func(t *testing.T, token string) {
		got, err := a.AuthenticateRequest(t.Context(), token)
		if err != nil {
			requireUnauthenticated(t, err)
			return
		}
		require.Equal(t, "user:ann", got.Principal.String())
		require.Equal(t, []string{"ops"}, got.Roles)
	})
}
