package httpapi

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/switchboard-dev/switchboard"
)

// probedMethods are the methods an Allow header may list.
var probedMethods = []string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
	http.MethodPatch, http.MethodDelete, http.MethodOptions,
}

// notFound answers a path no route serves.
func (s *Server) notFound(_ http.ResponseWriter, r *http.Request) error {
	return switchboard.Errorf(switchboard.CodeNotFound,
		"no endpoint serves %s %s", r.Method, r.URL.Path)
}

// methodNotAllowed answers a route asked with a method it does not serve:
// a 405 problem with code invalid_request and an Allow header.
func (s *Server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	allowed := s.allowedMethods(r)
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	e := switchboard.Errorf(switchboard.CodeInvalidRequest,
		"%s is not allowed here; use %s", r.Method, strings.Join(allowed, " or "))
	s.writeProblem(w, r, e, http.StatusMethodNotAllowed)
}

// allowedMethods lists the methods the route table serves at r's path.
func (s *Server) allowedMethods(r *http.Request) []string {
	path := r.URL.RawPath
	if path == "" {
		path = r.URL.Path
	}
	var out []string
	for _, m := range probedMethods {
		if s.mux.Match(chi.NewRouteContext(), m, path) {
			out = append(out, m)
		}
	}
	return out
}
