package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/switchboard-dev/switchboard/rbac"
	"github.com/switchboard-dev/switchboard/registry"
)

type catalogList struct {
	Integrations []catalogEntry `json:"integrations"`
}

// catalogEntry is how clients see one deployable integration.
type catalogEntry struct {
	ID               string             `json:"id"`
	Name             string             `json:"name"`
	Version          string             `json:"version"`
	Description      string             `json:"description,omitempty"`
	Source           string             `json:"source"`
	Actions          []catalogAction    `json:"actions"`
	ConfigSchema     json.RawMessage    `json:"configSchema,omitempty"`
	UserAuth         json.RawMessage    `json:"userAuth,omitempty"`
	Webhooks         []registry.Webhook `json:"webhooks"`
	Instructions     string             `json:"instructions,omitempty"`
	Installed        bool               `json:"installed"`
	InstalledVersion string             `json:"installedVersion,omitempty"`
}

type catalogAction struct {
	ID          string `json:"id"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
}

// listCatalog answers every deployable integration and whether, and in
// which version, it is installed.
func (s *Server) listCatalog(w http.ResponseWriter, r *http.Request) error {
	entries, err := s.reg.Catalog(r.Context())
	if err != nil {
		return err
	}
	snap := s.reg.Snapshot()
	out := catalogList{Integrations: make([]catalogEntry, 0, len(entries))}
	for _, e := range entries {
		ce := newCatalogEntry(e)
		if in := snap.Integration(ce.ID); in != nil {
			ce.Installed, ce.InstalledVersion = true, in.Manifest.Version
		}
		out.Integrations = append(out.Integrations, ce)
	}
	return writeJSON(w, http.StatusOK, out)
}

func newCatalogEntry(e registry.Entry) catalogEntry {
	m := e.Manifest
	ce := catalogEntry{
		ID: m.AppID, Name: m.Name, Version: m.Version, Description: m.Description,
		Source: e.Source, Actions: make([]catalogAction, 0, len(m.Actions)),
		Webhooks: nonNil(m.Webhooks), Instructions: m.Instructions,
	}
	for _, a := range m.Actions {
		ce.Actions = append(ce.Actions,
			catalogAction{ID: a.ID, Name: a.Name, Description: a.Description})
	}
	if m.ConfigSchema != nil {
		ce.ConfigSchema = m.ConfigSchema.Raw
	}
	if m.UserAuth != nil {
		ce.UserAuth = m.UserAuth.Raw
	}
	return ce
}

type uploaded struct {
	ID       string   `json:"id"`
	Version  string   `json:"version"`
	Source   string   `json:"source"`
	Warnings []string `json:"warnings"`
}

// uploadManifest adds the manifest in the body to the catalog, without
// deploying it. A manifest that declares a platformSecret property also
// needs admin:secrets.manage.
func (s *Server) uploadManifest(w http.ResponseWriter, r *http.Request) error {
	raw, err := readBody(r, min(s.maxBody, registry.MaxManifestBytes))
	if err != nil {
		return err
	}
	if isEmpty(raw) {
		return invalidRequest("the request body must be a manifest, a JSON object")
	}
	m, _, err := registry.Parse(raw)
	if err != nil {
		return err
	}
	if err := s.authorizeSecrets(r, m); err != nil {
		return err
	}
	e, err := s.reg.Upload(r.Context(), raw)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, uploaded{
		ID: e.Manifest.AppID, Version: e.Manifest.Version, Source: e.Source,
		Warnings: nonNil(e.Warnings),
	})
}

// deployRequest is the optional body of a deploy; it has no fields yet, so
// any field is refused rather than silently ignored.
type deployRequest struct{}

type deployed struct {
	ID      string   `json:"id"`
	Version string   `json:"version"`
	Tools   []string `json:"tools"`
	// WebhookURL is the listener of an integration that declares
	// webhooks: the URL to give the service.
	WebhookURL string `json:"webhookUrl,omitempty"`
}

// deploy installs the catalog's manifest of {id}, or replaces the
// installed version. A manifest that declares a platformSecret property
// also needs admin:secrets.manage.
func (s *Server) deploy(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(r, s.maxBody)
	if err != nil {
		return err
	}
	if !isEmpty(body) {
		if err := parseJSON(body, &deployRequest{}); err != nil {
			return err
		}
	}
	id := chi.URLParam(r, "id")
	e, err := s.reg.CatalogEntry(r.Context(), id)
	if err != nil {
		return err
	}
	if err := s.authorizeSecrets(r, e.Manifest); err != nil {
		return err
	}
	in, err := s.reg.Deploy(r.Context(), id)
	if err != nil {
		return err
	}
	out := deployed{ID: in.ID(), Version: in.Manifest.Version,
		Tools: make([]string, 0, len(in.Actions))}
	for _, a := range in.Actions {
		out.Tools = append(out.Tools, a.Tool)
	}
	if s.hooks != nil {
		l, ok, err := s.hooks.Provision(r.Context(), in)
		if err != nil {
			return err
		}
		if ok {
			out.WebhookURL = l.URL
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

type undeployed struct {
	ID         string `json:"id"`
	Undeployed bool   `json:"undeployed"`
	Purged     bool   `json:"purged"`
}

// undeploy removes {id} from the installed set; with ?purge=true it also
// deletes the integration's own data.
func (s *Server) undeploy(w http.ResponseWriter, r *http.Request) error {
	purge, err := boolQuery(r, "purge")
	if err != nil {
		return err
	}
	id := chi.URLParam(r, "id")
	if purge {
		// Purging deletes the platform secrets no one else names.
		if err := s.authorizeSecrets(r, s.manifestOf(r, id)); err != nil {
			return err
		}
	}
	if err := s.reg.Undeploy(r.Context(), id, purge); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, undeployed{ID: id, Undeployed: true, Purged: purge})
}

// authorizeSecrets requires admin:secrets.manage of r's principal when m
// declares a platformSecret property: an integration holding platform
// secrets can send them wherever its manifest says.
//
// TODO(registry): deploy checks the catalog entry, then deploys whatever
// the catalog holds a moment later. Only a holder of admin:secrets.manage
// can upload a manifest declaring secrets, but a deployer racing such an
// upload could install it; a Deploy that takes the checked entry's
// version, or a check inside Deploy, would close the gap.
func (s *Server) authorizeSecrets(r *http.Request, m *registry.Manifest) error {
	if m.HoldsSecrets() {
		return s.authorize(r, rbac.SecretsManage)
	}
	return nil
}

// boolQuery reads the query parameter name: absent is false, else it must
// be given once, as true or false.
func boolQuery(r *http.Request, name string) (bool, error) {
	values := r.URL.Query()[name]
	if len(values) == 0 {
		return false, nil
	}
	if len(values) == 1 {
		switch values[0] {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return false, invalidRequest("query parameter %s must be given once, as true or false", name)
}

// manifestOf returns the manifest of id as installed, or else as the
// catalog holds it, or nil when neither knows it.
func (s *Server) manifestOf(r *http.Request, id string) *registry.Manifest {
	if in := s.reg.Snapshot().Integration(id); in != nil {
		return in.Manifest
	}
	if e, err := s.reg.CatalogEntry(r.Context(), id); err == nil {
		return e.Manifest
	}
	return nil
}
