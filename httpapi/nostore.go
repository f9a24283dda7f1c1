package httpapi

import "net/http"

// noStore forbids every cache from keeping a response: answers are per
// caller and some describe credentials. A handler may still override it,
// as streaming transports do.
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}
