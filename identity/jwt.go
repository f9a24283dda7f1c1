package identity

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/switchboard-dev/switchboard"
)

// DefaultLeeway is the clock skew allowed on a token's exp, nbf and iat when
// [JWTConfig.Leeway] is zero.
const DefaultLeeway = 30 * time.Second

// MaxLeeway is the greatest [JWTConfig.Leeway].
const MaxLeeway = 5 * time.Minute

// DefaultAudience is the audience an HS256 token must name when
// [HS256Issuer.Audience] is "".
const DefaultAudience = "switchboard"

// MinHS256Secret is the least length of an HS256 secret, in bytes: the size
// of the hash, as RFC 7518 requires.
const MinHS256Secret = 32

// Limits on what a token may hold; a token past them is refused.
const (
	maxJWT      = 16 << 10 // bytes of the whole token
	maxRoles    = 64       // roles claimed
	maxRoleName = 128      // bytes of one claimed role
)

// JWTConfig says which external tokens an [Authenticator] accepts. With
// neither OIDC nor HS256 it accepts none.
type JWTConfig struct {
	// OIDC lists the OpenID Connect issuers whose tokens are accepted.
	OIDC []OIDCIssuer
	// HS256, when set, accepts tokens signed with a shared secret by a
	// platform that signs its own sessions.
	HS256 *HS256Issuer
	// RolesClaim names the claim holding the roles a token claims for its
	// subject: a list of strings, or one string of space-separated names.
	// A name absent at the top level of the claims is read as a path of
	// nested objects ("realm_access.roles"). "" reads no roles.
	RolesClaim string
	// Leeway is the clock skew allowed on exp, nbf and iat, from 0 to
	// [MaxLeeway]; 0 is [DefaultLeeway].
	Leeway time.Duration
	// HTTPClient fetches issuers' discovery documents and key sets; nil is
	// a plain client with a 10 second timeout. Either way answers are
	// capped at 1 MiB, and a client without a timeout gets that one. Pass
	// the client of the outbound address policy to keep issuers (whose
	// discovery documents name the key set's URL) off metadata addresses.
	HTTPClient *http.Client
}

// OIDCIssuer is an OpenID Connect issuer whose tokens are accepted.
type OIDCIssuer struct {
	// URL is the issuer identifier, exactly as the iss of its tokens
	// spells it (a trailing slash counts), and where it serves
	// /.well-known/openid-configuration. It must be https, or http to a
	// loopback address (for development).
	URL string
	// Audience must be among the aud of its tokens: the client id the
	// issuer gives Switchboard, or the audience it puts in access tokens.
	// Required.
	Audience string
}

// HS256Issuer accepts tokens signed with HMAC-SHA256 under a shared secret.
type HS256Issuer struct {
	// Secret is the key, at least [MinHS256Secret] bytes, used as given
	// (not decoded from any encoding). It is never logged.
	Secret []byte
	// Issuer, when set, must equal the iss of every token. When "", iss
	// is not checked: holding the secret is what identifies the issuer.
	// It may not be the URL of one of the OIDC issuers.
	Issuer string
	// Audience must be among the aud of every token; "" is
	// [DefaultAudience].
	Audience string
}

// jwtVerifier checks JWTs: it picks the issuer by the token's iss, then
// checks the signature with that issuer's keys and the claims.
type jwtVerifier struct {
	oidc       map[string]*oidcIssuer // by URL
	issuers    []*oidcIssuer          // in the order configured
	hs256      *HS256Issuer
	rolesClaim string
	leeway     time.Duration
	now        func() time.Time
}

// newJWTVerifier returns the verifier cfg describes, nil when cfg accepts no
// token, or an error naming the first invalid field.
func newJWTVerifier(cfg JWTConfig, now func() time.Time, log *slog.Logger) (*jwtVerifier, error) {
	if len(cfg.OIDC) == 0 && cfg.HS256 == nil {
		if cfg.RolesClaim != "" {
			return nil, errors.New("a jwt roles claim needs a jwt issuer or secret")
		}
		return nil, nil
	}
	if cfg.Leeway < 0 || cfg.Leeway > MaxLeeway {
		return nil, fmt.Errorf("jwt leeway must be 0 to %s", MaxLeeway)
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = DefaultLeeway
	}
	v := &jwtVerifier{oidc: map[string]*oidcIssuer{}, rolesClaim: cfg.RolesClaim,
		leeway: cfg.Leeway, now: now}
	for i, c := range cfg.OIDC {
		if _, dup := v.oidc[c.URL]; dup {
			return nil, fmt.Errorf("jwt issuer %s is configured twice", c.URL)
		}
		o, err := newOIDCIssuer(c, cfg.HTTPClient, now, log)
		if err != nil {
			return nil, fmt.Errorf("jwt issuer %d: %w", i, err)
		}
		v.oidc[c.URL] = o
		v.issuers = append(v.issuers, o)
	}
	if cfg.HS256 != nil {
		h, err := v.checkHS256(*cfg.HS256)
		if err != nil {
			return nil, err
		}
		v.hs256 = &h
	}
	return v, nil
}

func (v *jwtVerifier) checkHS256(h HS256Issuer) (HS256Issuer, error) {
	if len(h.Secret) < MinHS256Secret {
		return h, fmt.Errorf("jwt hs256 secret must be at least %d bytes", MinHS256Secret)
	}
	if _, ok := v.oidc[h.Issuer]; ok {
		return h, fmt.Errorf("jwt hs256 issuer %s is also an oidc issuer", h.Issuer)
	}
	if h.Audience == "" {
		h.Audience = DefaultAudience
	}
	h.Secret = append([]byte(nil), h.Secret...)
	return h, nil
}

// expected is what a token's iss and aud must be; an empty issuer is not
// checked.
type expected struct{ issuer, audience string }

// verify returns the caller of a JWT, or why it is refused.
func (v *jwtVerifier) verify(ctx context.Context, token string) (Caller, error) {
	if len(token) > maxJWT {
		return Caller{}, unauthenticated("the bearer token is too long")
	}
	alg, iss, err := peek(token)
	if err != nil {
		return Caller{}, err
	}
	if alg == "" || strings.EqualFold(alg, "none") {
		return Caller{}, unauthenticated("the token is not signed (its alg is none or missing)")
	}

	var payload []byte
	var want expected
	switch o, ok := v.oidc[iss]; {
	case ok:
		payload, err = o.verify(ctx, token, alg)
		want = expected{o.url, o.audience}
	case v.hs256 != nil && (v.hs256.Issuer == "" || v.hs256.Issuer == iss):
		payload, err = v.verifyHS256(token, alg)
		want = expected{v.hs256.Issuer, v.hs256.Audience}
	default:
		return Caller{}, unauthenticated("the token's issuer (iss) is not trusted")
	}
	if err != nil {
		return Caller{}, err
	}
	return v.caller(payload, want)
}

// peek reads the alg of token's header and the iss of its claims, neither
// verified yet: they only pick the verifier, which checks both.
func peek(token string) (alg, iss string, err error) {
	header, rest, _ := strings.Cut(token, ".")
	claims, _, _ := strings.Cut(rest, ".")
	var h struct {
		Alg string `json:"alg"`
	}
	var c struct {
		Iss string `json:"iss"`
	}
	if decodePart(header, &h) != nil || decodePart(claims, &c) != nil {
		return "", "", unauthenticated("the bearer token is not a valid JWT")
	}
	return h.Alg, c.Iss, nil
}

func decodePart(part string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// verifyHS256 checks token's signature with the shared secret and returns
// its claims.
func (v *jwtVerifier) verifyHS256(token, alg string) ([]byte, error) {
	if alg != string(jose.HS256) {
		return nil, unauthenticated("the token's signing algorithm is not accepted")
	}
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.HS256})
	if err != nil {
		return nil, switchboard.Wrap(switchboard.CodeUnauthenticated, err,
			"the bearer token is not a valid JWT")
	}
	payload, err := jws.Verify(v.hs256.Secret)
	if err != nil {
		return nil, switchboard.Wrap(switchboard.CodeUnauthenticated, err,
			"the token's signature is not valid")
	}
	return payload, nil
}

// caller checks the verified claims of a token against want and the clock,
// and returns the caller they describe.
func (v *jwtVerifier) caller(payload []byte, want expected) (Caller, error) {
	var c jwt.Claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return Caller{}, switchboard.Wrap(switchboard.CodeUnauthenticated, err,
			"the token's claims are not valid")
	}
	if c.Expiry == nil {
		return Caller{}, unauthenticated("the token has no expiry (exp)")
	}
	err := c.ValidateWithLeeway(jwt.Expected{Issuer: want.issuer,
		AnyAudience: jwt.Audience{want.audience}, Time: v.now()}, v.leeway)
	if err != nil {
		return Caller{}, claimError(err)
	}
	if !switchboard.ValidPrincipalID(c.Subject) {
		return Caller{}, unauthenticated("the token's subject (sub) is not a valid user id")
	}
	if c.Subject == Admin.ID {
		// user:admin is the installation's own administrator; no external
		// login may speak for it.
		return Caller{}, unauthenticated("the token's subject (sub) is reserved: " +
			"user:admin belongs to the installation's administrator key")
	}
	roles, err := v.roles(payload)
	if err != nil {
		return Caller{}, err
	}
	p := switchboard.Principal{Kind: switchboard.KindUser, ID: c.Subject}
	return Caller{Principal: p, Roles: roles, Via: ViaJWT, Issuer: c.Issuer}, nil
}

// claimError says which claim check err failed.
func claimError(err error) error {
	msg := "the token's claims are not valid"
	switch {
	case errors.Is(err, jwt.ErrExpired):
		msg = "the token has expired"
	case errors.Is(err, jwt.ErrNotValidYet):
		msg = "the token is not valid yet (nbf)"
	case errors.Is(err, jwt.ErrIssuedInTheFuture):
		msg = "the token is issued in the future (iat)"
	case errors.Is(err, jwt.ErrInvalidIssuer):
		msg = "the token's issuer (iss) is not trusted"
	case errors.Is(err, jwt.ErrInvalidAudience):
		msg = "the token is not meant for this server (aud)"
	}
	return switchboard.Wrap(switchboard.CodeUnauthenticated, err, msg)
}

// roles returns the roles the claims in payload name under the roles claim,
// without duplicates, in the order given.
func (v *jwtVerifier) roles(payload []byte) ([]string, error) {
	if v.rolesClaim == "" {
		return nil, nil
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, switchboard.Wrap(switchboard.CodeUnauthenticated, err,
			"the token's claims are not valid")
	}
	var names []string
	switch r := lookUpClaim(claims, v.rolesClaim).(type) {
	case nil:
		return nil, nil
	case string:
		names = strings.Fields(r)
	case []any:
		for _, x := range r {
			s, ok := x.(string)
			if !ok {
				return nil, v.badRoles()
			}
			names = append(names, s)
		}
	default:
		return nil, v.badRoles()
	}
	return v.uniqueRoles(names)
}

func (v *jwtVerifier) uniqueRoles(names []string) ([]string, error) {
	var roles []string
	seen := map[string]bool{}
	for _, n := range names {
		if n == "" || seen[n] {
			continue
		}
		if len(n) > maxRoleName || len(roles) == maxRoles {
			return nil, v.badRoles()
		}
		seen[n] = true
		roles = append(roles, n)
	}
	return roles, nil
}

func (v *jwtVerifier) badRoles() error {
	return switchboard.Errorf(switchboard.CodeUnauthenticated,
		"the token's %s claim must be a list of at most %d role names of at most %d "+
			"bytes, or a string of them separated by spaces", v.rolesClaim, maxRoles, maxRoleName)
}

// lookUpClaim returns the claim called name, or else the value at name read
// as a dotted path of nested objects; nil when there is neither.
func lookUpClaim(claims map[string]any, name string) any {
	if x, ok := claims[name]; ok {
		return x
	}
	var cur any = claims
	for part := range strings.SplitSeq(name, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	return cur
}
