package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/rbac"
	"github.com/switchboard-dev/switchboard/registry"
)

type integrationList struct {
	Integrations []registry.Description `json:"integrations"`
}

// listIntegrations answers the installed integrations the caller may see
// (see [Server.view]), in deployment order.
func (s *Server) listIntegrations(w http.ResponseWriter, r *http.Request) error {
	installed := s.reg.Snapshot().Integrations()
	out := integrationList{Integrations: make([]registry.Description, 0, len(installed))}
	for _, in := range installed {
		if d, ok := s.view(r, in); ok {
			out.Integrations = append(out.Integrations, d)
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

// getIntegration answers one installed integration as the caller may see
// it. One it may see nothing of is not_found, as one not deployed is.
func (s *Server) getIntegration(w http.ResponseWriter, r *http.Request) error {
	in, err := s.installed(r)
	if err != nil {
		return err
	}
	d, ok := s.view(r, in)
	if !ok {
		return notDeployed(in.ID())
	}
	return writeJSON(w, http.StatusOK, d)
}

// view returns what r's caller may see of in, and false when that is
// nothing. A caller that manages in (integration:{id}:manage) or deploys
// integrations sees all of it; any other sees the actions it may call, and
// nothing when it may call none.
func (s *Server) view(r *http.Request, in *registry.Integration) (registry.Description, bool) {
	if s.allowed(r, rbac.ManageKey(in.ID())) || s.allowed(r, rbac.IntegrationsDeploy) {
		return in.Describe(nil), true
	}
	d := in.Describe(func(a *registry.Action) bool { return s.allowed(r, a.Permission) })
	return d, len(d.Actions) > 0
}

// installed returns the installed integration the {id} of r names, or
// not_found.
func (s *Server) installed(r *http.Request) (*registry.Integration, error) {
	id := chi.URLParam(r, "id")
	if in := s.reg.Snapshot().Integration(id); in != nil {
		return in, nil
	}
	return nil, notDeployed(id)
}

func notDeployed(id string) error {
	return switchboard.Errorf(switchboard.CodeNotFound, "integration %q is not deployed", id)
}
