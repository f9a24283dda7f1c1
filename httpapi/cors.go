package httpapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/switchboard-dev/switchboard/credentials"
)

// corsHeaders are the request headers a browser app may send.
var corsHeaders = []string{"Authorization", "Content-Type", ConnectionHeader, RequestIDHeader}

// cors lets the browser apps of the configured origins call the API: it
// answers their preflight requests and marks their answers readable. Other
// origins get no CORS headers, so browsers keep them out. The API takes
// bearer tokens, not cookies, so credentials are never allowed. The pages
// browsers navigate to (the OAuth callback and connect links) get no CORS
// headers at all: no script of any origin may read them.
func (s *Server) cors(next http.Handler) http.Handler {
	if len(s.origins) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" || !slices.Contains(s.origins, origin) || browserPath(r) {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Add("Vary", "Origin")
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Expose-Headers", RequestIDHeader)
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Add("Vary", "Access-Control-Request-Method, Access-Control-Request-Headers")
			h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE")
			h.Set("Access-Control-Allow-Headers", strings.Join(corsHeaders, ", "))
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// browserPath reports whether r is for the OAuth callback or a connect
// link, in the decoded or the raw form of its path.
func browserPath(r *http.Request) bool {
	for _, p := range []string{r.URL.Path, r.URL.RawPath} {
		if p == credentials.CallbackPath || strings.HasPrefix(p, credentials.ConnectPath) {
			return true
		}
	}
	return false
}
