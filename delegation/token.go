package delegation

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/switchboard-dev/switchboard"
)

// claims are a delegation token's claims.
type claims struct {
	jwt.Claims
	Act   actor  `json:"act"`
	Scope string `json:"scope"`
}

// actor is the act claim of RFC 8693: who acts for the subject.
type actor struct {
	Sub string `json:"sub"`
}

// sign returns the token of rec, signed by key kid.
func (s *Service) sign(kid string, priv any, rec Record) (string, error) {
	opts := (&jose.SignerOptions{}).WithType(TokenType).WithHeader(jose.HeaderKey("kid"), kid)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: priv}, opts)
	if err != nil {
		return "", fmt.Errorf("delegation signer: %w", err)
	}
	c := claims{
		Claims: jwt.Claims{
			Issuer: s.issuer, Audience: jwt.Audience{s.audience}, Subject: rec.User,
			ID: rec.JTI, IssuedAt: jwt.NewNumericDate(rec.IssuedAt),
			NotBefore: jwt.NewNumericDate(rec.IssuedAt), Expiry: jwt.NewNumericDate(rec.ExpiresAt),
		},
		Act: actor{Sub: rec.Agent}, Scope: strings.Join(rec.Scope, " "),
	}
	token, err := jwt.Signed(signer).Claims(c).Serialize()
	if err != nil {
		return "", fmt.Errorf("sign delegation: %w", err)
	}
	return token, nil
}

// Recognizes reports what the function [Recognizes] does, so that a
// Service is an identity.DelegationVerifier.
func (s *Service) Recognizes(token string) bool { return Recognizes(token) }

// Recognizes reports whether token looks like a delegation token (a JWT
// whose header says typ [TokenType]); it verifies nothing.
func Recognizes(token string) bool {
	header, _, ok := strings.Cut(token, ".")
	if !ok || len(header) > 1024 {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(header)
	if err != nil {
		return false
	}
	var h struct {
		Typ string `json:"typ"`
	}
	return json.Unmarshal(b, &h) == nil && h.Typ == TokenType
}

// Verify checks a delegation token: signature by a known key, issuer,
// audience, expiry, not-before, and its record (it must exist and not be
// revoked). It returns the agent that acts and the delegation it carries,
// whose user, agent and scope are the record's. A refused token is a
// *switchboard.Error with CodeUnauthenticated saying why and that a new
// delegation is needed; the token is never logged or echoed.
func (s *Service) Verify(ctx context.Context, token string) (switchboard.Principal,
	switchboard.Delegation, error) {
	var none switchboard.Delegation
	if len(token) > maxToken {
		return switchboard.Principal{}, none, refused("the delegation token is too long")
	}
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil || len(jws.Signatures) != 1 {
		return switchboard.Principal{}, none, refused("the delegation token is not a valid " +
			"EdDSA-signed JWT")
	}
	h := jws.Signatures[0].Protected
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != TokenType {
		return switchboard.Principal{}, none, refused("the token is not a delegation token (typ)")
	}
	key, err := s.verifyingKey(ctx, h.KeyID)
	if err != nil {
		return switchboard.Principal{}, none, err
	}
	payload, err := jws.Verify(key.Public)
	if err != nil {
		return switchboard.Principal{}, none, refused("the delegation token's signature is not valid")
	}
	var c claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return switchboard.Principal{}, none, refused("the delegation token's claims are not valid")
	}
	if err := s.checkClaims(c); err != nil {
		return switchboard.Principal{}, none, err
	}
	rec, err := s.store.Delegation(ctx, c.ID)
	switch {
	case switchboard.ErrorCode(err) == switchboard.CodeNotFound:
		return switchboard.Principal{}, none, refused("the delegation is unknown to this server")
	case err != nil:
		return switchboard.Principal{}, none, fmt.Errorf("read delegation: %w", err)
	case !rec.RevokedAt.IsZero():
		return switchboard.Principal{}, none, refused("the delegation has been revoked")
	case rec.User != c.Subject || rec.Agent != c.Act.Sub ||
		strings.Join(rec.Scope, " ") != c.Scope:
		// Signed by this server, yet not as issued: never honored.
		return switchboard.Principal{}, none, refused("the delegation token does not match its record")
	}
	user, err1 := switchboard.ParsePrincipal(rec.User)
	agent, err2 := switchboard.ParsePrincipal(rec.Agent)
	if err1 != nil || err2 != nil || user.Kind != switchboard.KindUser {
		return switchboard.Principal{}, none, refused("the delegation token names no valid user and agent")
	}
	return agent, switchboard.Delegation{ID: rec.JTI, User: user,
		Scope: slices.Clone(rec.Scope), UserRoles: slices.Clone(rec.UserRoles)}, nil
}

// checkClaims checks iss, aud and the times of c.
func (s *Service) checkClaims(c claims) error {
	if c.Expiry == nil || c.ID == "" || c.Subject == "" || c.Act.Sub == "" {
		return refused("the delegation token lacks exp, jti, sub or act")
	}
	err := c.ValidateWithLeeway(jwt.Expected{Issuer: s.issuer,
		AnyAudience: jwt.Audience{s.audience}, Time: s.now()}, Leeway)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, jwt.ErrExpired):
		return refused("the delegation has expired")
	case errors.Is(err, jwt.ErrNotValidYet):
		return refused("the delegation is not valid yet (nbf)")
	case errors.Is(err, jwt.ErrIssuedInTheFuture):
		return refused("the delegation is issued in the future (iat)")
	case errors.Is(err, jwt.ErrInvalidIssuer):
		return refused("the delegation was issued by another server (iss), not by " + s.issuer +
			" (every process of one installation needs the same --public-url)")
	case errors.Is(err, jwt.ErrInvalidAudience):
		return refused("the delegation is not meant for this server (aud), " + s.audience)
	}
	return refused("the delegation token's claims are not valid")
}

// refused is a refused token: 401 over HTTP, an isError result over stdio.
func refused(why string) *switchboard.Error {
	return switchboard.Errorf(switchboard.CodeUnauthenticated,
		"%s: the user must issue a new delegation", why)
}
