package httpapi

import (
	"net/http"

	"github.com/switchboard-dev/switchboard/identity"
)

// require lets a request through only when its principal holds
// permission; otherwise it answers the Authorizer's forbidden problem. It
// runs after authenticate and before the handler changes anything.
func (s *Server) require(permission string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := s.authorize(r, permission); err != nil {
				s.fail(w, r, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// authorize asks the Authorizer whether r's principal holds permission.
func (s *Server) authorize(r *http.Request, permission string) error {
	ctx := r.Context()
	return s.authz.Authorize(ctx, identity.FromContext(ctx), permission)
}
