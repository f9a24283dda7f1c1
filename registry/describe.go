package registry

import (
	"encoding/json"
	"time"
)

// Description is how clients see an installed integration: what REST
// listings and the list_integrations tool return. It never holds a config
// value, only whether each property is set; UserAuth names config
// properties and form fields, never a secret.
type Description struct {
	ID           string              `json:"id"`
	Name         string              `json:"name"`
	Version      string              `json:"version"`
	Description  string              `json:"description,omitempty"`
	Instructions string              `json:"instructions,omitempty"`
	Actions      []ActionDescription `json:"actions"`
	ConfigSchema json.RawMessage     `json:"configSchema,omitempty"`
	Config       []PropertyStatus    `json:"config"`
	// Auth says how calls get credentials, for clients to decide whether a
	// user must connect an account first: "platform" (no userAuth, or an
	// OAuth client_credentials grant), "oauth2", "credentials" or
	// "redirect". See [UserAuth.Model].
	Auth string `json:"auth"`
	// UserAuth is the manifest's userAuth block as written.
	UserAuth   json.RawMessage `json:"userAuth,omitempty"`
	Webhooks   []Webhook       `json:"webhooks"`
	Configured bool            `json:"configured"`
	Missing    []string        `json:"missing,omitempty"`
	DeployedAt time.Time       `json:"deployedAt"`
}

// ActionDescription is one action of a [Description].
type ActionDescription struct {
	ID           string          `json:"id"`
	Name         string          `json:"name,omitempty"`
	Description  string          `json:"description,omitempty"`
	Tool         string          `json:"tool"`
	Permission   string          `json:"permission"`
	InputSchema  json.RawMessage `json:"inputSchema"`
	OutputSchema json.RawMessage `json:"outputSchema,omitempty"`
	Annotations  *Annotations    `json:"annotations,omitempty"`
	Implemented  bool            `json:"implemented"`
	// Credentials is "user" when each caller needs a connection of their
	// own, "platform" otherwise.
	Credentials string `json:"credentials"`
}

// PropertyStatus says whether one config property has a value.
type PropertyStatus struct {
	Name   string `json:"name"`
	Secret bool   `json:"secret"`
	Set    bool   `json:"set"`
}

// Describe returns the client view of in, listing the actions keep allows
// (all when keep is nil).
func (in *Integration) Describe(keep func(*Action) bool) Description {
	m := in.Manifest
	d := Description{
		ID: m.AppID, Name: m.Name, Version: m.Version,
		Description: m.Description, Instructions: m.Instructions,
		Actions:    []ActionDescription{},
		Config:     []PropertyStatus{},
		Webhooks:   m.Webhooks,
		Auth:       m.UserAuth.Model(),
		Configured: in.Configured(),
		Missing:    in.Missing,
		DeployedAt: in.DeployedAt,
	}
	if d.Webhooks == nil {
		d.Webhooks = []Webhook{}
	}
	if m.ConfigSchema != nil {
		d.ConfigSchema = m.ConfigSchema.Raw
		for _, p := range m.ConfigSchema.Properties {
			d.Config = append(d.Config, PropertyStatus{
				Name: p.Name, Secret: p.PlatformSecret != "", Set: in.Set[p.Name],
			})
		}
	}
	if m.UserAuth != nil {
		d.UserAuth = m.UserAuth.Raw
	}
	for _, a := range in.Actions {
		if keep != nil && !keep(a) {
			continue
		}
		d.Actions = append(d.Actions, ActionDescription{
			ID: a.Spec.ID, Name: a.Spec.Name, Description: a.Spec.Description,
			Tool: a.Tool, Permission: a.Permission,
			InputSchema: a.InputSchema, OutputSchema: a.Spec.OutputSchema,
			Annotations: a.Spec.Annotations, Implemented: a.Request != nil,
			Credentials: a.Credentials,
		})
	}
	return d
}
