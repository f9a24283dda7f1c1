package httpapi

import (
	"net/http"
	"strings"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/identity"
)

// authenticate requires "Authorization: Bearer <token>" and puts the
// token's principal in the request context (see identity.FromContext). A
// missing or refused token is a 401 unauthenticated problem with a
// WWW-Authenticate challenge; the token itself is never logged or echoed.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		token, err := bearerToken(r)
		var p switchboard.Principal
		if err == nil {
			p, err = s.authn.Authenticate(ctx, token)
		}
		if err == nil && p.IsZero() {
			err = unauthenticated("the bearer token is not valid")
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		notePrincipal(ctx, p)
		next.ServeHTTP(w, r.WithContext(identity.NewContext(ctx, p)))
	})
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
