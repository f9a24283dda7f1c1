package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/identity"
)

// authenticate requires "Authorization: Bearer <token>" and puts the
// caller in the request context: its principal (identity.FromContext), the
// roles its token claims (rbac.WithClaimedRoles), and the audit.Origin of
// the request on surface. A missing or refused token is a 401
// unauthenticated problem with a WWW-Authenticate challenge; the token
// itself is never logged or echoed.
func (s *Server) authenticate(surface audit.Surface) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			caller, err := s.caller(r)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			ctx := r.Context()
			notePrincipal(ctx, caller.Principal)
			next.ServeHTTP(w, r.WithContext(callerContext(ctx, caller, surface)))
		})
	}
}

// caller authenticates the bearer token of r.
func (s *Server) caller(r *http.Request) (identity.Caller, error) {
	token, err := bearerToken(r)
	if err != nil {
		return identity.Caller{}, err
	}
	c, err := s.authn.AuthenticateRequest(r.Context(), token)
	if err != nil {
		return identity.Caller{}, err
	}
	if c.Principal.IsZero() {
		return identity.Caller{}, unauthenticated("the bearer token is not valid")
	}
	return c, nil
}

// callerContext returns ctx carrying what later layers read of c.
func callerContext(ctx context.Context, c identity.Caller,
	surface audit.Surface) context.Context {
	ctx = identity.NewCallerContext(ctx, c)
	o := audit.Origin{Actor: c.Principal.String(), Surface: surface, RequestID: RequestID(ctx)}
	if c.Delegation != nil {
		o.OnBehalfOf = c.Delegation.User.String()
	}
	return audit.WithOrigin(ctx, o)
}

// bearerToken returns the token of r's one Authorization header.
func bearerToken(r *http.Request) (string, error) {
	values := r.Header.Values("Authorization")
	switch len(values) {
	case 0:
		return "", unauthenticated("a bearer token is required: send Authorization: Bearer <token>")
	case 1:
	default:
		return "", unauthenticated("send one Authorization header, not several")
	}
	scheme, token, ok := strings.Cut(values[0], " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", unauthenticated("the Authorization header must be Bearer <token>")
	}
	return token, nil
}

func unauthenticated(msg string) *switchboard.Error {
	return &switchboard.Error{Code: switchboard.CodeUnauthenticated, Message: msg}
}
