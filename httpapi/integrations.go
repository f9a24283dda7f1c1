package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/registry"
)

type integrationList struct {
	Integrations []registry.Description `json:"integrations"`
}

// listIntegrations answers the installed set, in deployment order.
func (s *Server) listIntegrations(w http.ResponseWriter, _ *http.Request) error {
	installed := s.reg.Snapshot().Integrations()
	out := integrationList{Integrations: make([]registry.Description, 0, len(installed))}
	for _, in := range installed {
		out.Integrations = append(out.Integrations, in.Describe(nil))
	}
	return writeJSON(w, http.StatusOK, out)
}

// getIntegration answers one installed integration.
func (s *Server) getIntegration(w http.ResponseWriter, r *http.Request) error {
	in, err := s.installed(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, in.Describe(nil))
}

// installed returns the installed integration the {id} of r names, or
// not_found.
func (s *Server) installed(r *http.Request) (*registry.Integration, error) {
	id := chi.URLParam(r, "id")
	if in := s.reg.Snapshot().Integration(id); in != nil {
		return in, nil
	}
	return nil, switchboard.Errorf(switchboard.CodeNotFound,
		"integration %q is not deployed", id)
}
