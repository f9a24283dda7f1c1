package httpapi

import (
	"net/http"
	"strings"

	"github.com/switchboard-dev/switchboard/webhook"
)

// limitBody caps every request body at the server's MaxBodyBytes. A request
// that declares a longer Content-Length is refused as too_large before its
// body is read; a longer body without one (chunked) fails when a reader
// crosses the limit, which the JSON helpers answer as too_large.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.hooks != nil && strings.HasPrefix(r.URL.Path, webhook.HookPath) {
			// Deliveries have their own cap, the integration's.
			next.ServeHTTP(w, r)
			return
		}
		if r.ContentLength > s.maxBody {
			s.fail(w, r, tooLarge(s.maxBody))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
		next.ServeHTTP(w, r)
	})
}
