package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/switchboard-dev/switchboard/rbac"
	"github.com/switchboard-dev/switchboard/registry"
)

// configStatus says what an integration's config holds, never a value.
type configStatus struct {
	ID         string                    `json:"id"`
	Configured bool                      `json:"configured"`
	Missing    []string                  `json:"missing"`
	Config     []registry.PropertyStatus `json:"config"`
}

func newConfigStatus(in *registry.Integration) configStatus {
	d := in.Describe(nil)
	return configStatus{
		ID: d.ID, Configured: d.Configured, Missing: nonNil(d.Missing), Config: d.Config,
	}
}

// getConfig answers which config properties of {id} are set.
func (s *Server) getConfig(w http.ResponseWriter, r *http.Request) error {
	in, err := s.installed(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newConfigStatus(in))
}

// putConfig merges the body's properties into the config of {id}: an
// empty string or null deletes one, properties not named stay. Naming a
// platformSecret property also needs admin:secrets.manage. Values are never
// echoed, logged or put in an error.
func (s *Server) putConfig(w http.ResponseWriter, r *http.Request) error {
	in, err := s.installed(r)
	if err != nil {
		return err
	}
	body, err := readBody(r, s.maxBody)
	if err != nil {
		return err
	}
	var values map[string]json.RawMessage
	if err := parseJSON(body, &values); err != nil {
		return err
	}
	if touchesSecrets(in.Manifest, values) {
		if err := s.authorize(r, rbac.SecretsManage); err != nil {
			return err
		}
	}
	now, err := s.reg.Configure(r.Context(), in.ID(), values)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newConfigStatus(now))
}

// touchesSecrets reports whether values sets or deletes a platformSecret
// property of m, or, when m holds secrets, a property that decides where its
// requests go: pointing the base URL elsewhere sends the secrets there.
func touchesSecrets(m *registry.Manifest, values map[string]json.RawMessage) bool {
	routing := map[string]bool{}
	if m.HoldsSecrets() {
		routing = m.RoutingProperties()
	}
	for name := range values {
		if p, ok := m.ConfigSchema.Property(name); ok && p.PlatformSecret != "" || routing[name] {
			return true
		}
	}
	return false
}
