package httpapi

import (
	"net/http"
	"slices"
	"strings"
)

// corsHeaders are the request headers a browser app may send.
var corsHeaders = []string{"Authorization", "Content-Type", ConnectionHeader, RequestIDHeader}

// cors lets the browser apps of the configured origins call the API: it
// answers their preflight requests and marks their answers readable. Other
// origins get no CORS headers, so browsers keep them out. The API takes
// bearer tokens, not cookies, so credentials are never allowed.
func (s *Server) cors(next http.Handler) http.Handler {
	if len(s.origins) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" || !slices.Contains(s.origins, origin) {
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
