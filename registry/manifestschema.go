package registry

import (
	"github.com/invopop/jsonschema"
	orderedmap "github.com/pb33f/ordered-map/v2"
)

// The methods below describe to invopop/jsonschema the parts of a manifest
// whose Go types do not say their JSON shape; the manifest's own JSON Schema
// (docs/manifest.schema.json) is generated from these types.

// JSONSchemaExtend keeps fields Switchboard does not use yet valid.
func (Manifest) JSONSchemaExtend(s *jsonschema.Schema) {
	s.AdditionalProperties = jsonschema.TrueSchema
	s.Description = "An integration: its actions, config, credentials and webhooks."
}

// JSONSchemaExtend keeps fields Switchboard does not use yet valid.
func (ActionSpec) JSONSchemaExtend(s *jsonschema.Schema) {
	s.AdditionalProperties = jsonschema.TrueSchema
}

// JSONSchema describes configSchema: a JSON Schema object whose properties
// may carry platformSecret.
func (ConfigSchema) JSONSchema() *jsonschema.Schema {
	prop := &jsonschema.Schema{
		Type: "object",
		Properties: props(
			"platformSecret", &jsonschema.Schema{Type: "string",
				Pattern:     `^[A-Za-z][A-Za-z0-9_.-]*$`,
				Description: "Vault name of a secret shared by the installation"},
		),
		AdditionalProperties: jsonschema.TrueSchema,
	}
	names := &jsonschema.Schema{Type: "array", Items: &jsonschema.Schema{Type: "string"}}
	return &jsonschema.Schema{
		Type:        "object",
		Description: "JSON Schema of the integration's config",
		Properties: props(
			"type", &jsonschema.Schema{Type: "string", Enum: []any{"object"}},
			"properties", &jsonschema.Schema{Type: "object", AdditionalProperties: prop},
			"required", names,
			"anyOf", &jsonschema.Schema{Type: "array", Items: &jsonschema.Schema{
				Type: "object", Properties: props("required", names)}},
		),
		AdditionalProperties: jsonschema.TrueSchema,
	}
}

// JSONSchema describes userAuth: three shapes told apart by type. The
// oauth2 shape is Switchboard's own and refuses unknown fields; the other
// two follow the product's format and keep them.
func (UserAuth) JSONSchema() *jsonschema.Schema {
	kind := func(t string) *jsonschema.Schema {
		return &jsonschema.Schema{Type: "string", Const: t}
	}
	credentials := &jsonschema.Schema{
		Type:        "object",
		Description: "A form each user fills in, such as an API key",
		Properties: props(
			"type", kind(UserAuthCredentials),
			"schema", &jsonschema.Schema{Type: "object", Description: "JSON Schema of " +
				"the form, an object: each property is a field, read as {{connection.name}}"},
		),
		Required:             []string{"type", "schema"},
		AdditionalProperties: jsonschema.TrueSchema,
	}
	redirect := &jsonschema.Schema{
		Type:                 "object",
		Description:          "A flow run by a worker backend",
		Properties:           props("type", kind(UserAuthRedirect)),
		Required:             []string{"type"},
		AdditionalProperties: jsonschema.TrueSchema,
	}
	return &jsonschema.Schema{
		Type:        "object",
		Description: "How a user connects their own account",
		Properties: props("type", &jsonschema.Schema{Type: "string",
			Enum: []any{UserAuthOAuth2, UserAuthCredentials, UserAuthRedirect}}),
		Required: []string{"type"},
		OneOf:    []*jsonschema.Schema{oauthSchema(), credentials, redirect},
	}
}

// oauthSchema describes an oauth2 userAuth, reflected from [OAuthSpec] so
// that the two never drift apart.
func oauthSchema() *jsonschema.Schema {
	r := &jsonschema.Reflector{ExpandedStruct: true, DoNotReference: true, Anonymous: true,
		RequiredFromJSONSchemaTags: true}
	s := r.Reflect(&OAuthSpec{})
	s.Version = ""
	s.Description = "OAuth 2.0: the authorization code grant, with PKCE unless pkce is " +
		"false, or the client_credentials grant of a platform connection"
	s.Required = []string{"type", "tokenUrl", "clientId"}
	// Only the client_credentials grant goes without an authorization URL.
	s.If = &jsonschema.Schema{
		Properties: props("grant", &jsonschema.Schema{Const: GrantClientCredentials}),
		Required:   []string{"grant"},
	}
	s.Else = &jsonschema.Schema{Required: []string{"authorizationUrl"}}
	docs := map[string]string{
		"authorizationUrl": "Page where the user grants access; absolute http(s), or " +
			"starting with a {{config...}} base URL, the only placeholder allowed",
		"tokenUrl":       "Endpoint that issues tokens; placeholders as in authorizationUrl",
		"scopes":         "Scopes to ask for",
		"scopeSeparator": "Joins scopes in requests; a space when absent",
		"pkce":           "Use PKCE (S256); true when absent",
		"clientId":       "Name of the config property holding the client id",
		"clientSecret": "Name of the platformSecret config property holding the client " +
			"secret; absent for a public client using PKCE",
		"authorizationParams": "Extra parameters of the authorization URL, " +
			"such as access_type=offline",
		"grant": "authorization_code when absent",
		"tokenFields": "Dotted paths of the token response's fields, " +
			"for providers that wrap them",
		"refresh":       "When to refresh: before_expiry (the default) or on_expiry",
		"refreshMargin": "How long before expiry to refresh; 5m when absent, at most 1h",
		"clientAuth": "How the client authenticates at the token endpoint: basic, " +
			"body, or both in that order when absent",
	}
	for name, doc := range docs {
		if p, ok := s.Properties.Get(name); ok {
			p.Description = doc
		}
	}
	if p, ok := s.Properties.Get("scopes"); ok {
		one := uint64(1)
		p.Items.MinLength = &one
	}
	return s
}

// JSONSchema describes a webhook: a name, or a name and a method.
func (Webhook) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{OneOf: []*jsonschema.Schema{
		{Type: "string", Pattern: webhookPattern.String()},
		{
			Type: "object",
			Properties: props(
				"name", &jsonschema.Schema{Type: "string", Pattern: webhookPattern.String()},
				"method", &jsonschema.Schema{Type: "string"},
			),
			Required:             []string{"name"},
			AdditionalProperties: jsonschema.FalseSchema,
		},
	}}
}

// JSONSchema describes a duration string.
func (Duration) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{Type: "string", Pattern: `^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`,
		Description: "A duration such as \"10s\" or \"1m30s\""}
}

func props(kv ...any) *orderedmap.OrderedMap[string, *jsonschema.Schema] {
	p := jsonschema.NewProperties()
	for i := 0; i < len(kv); i += 2 {
		p.Set(kv[i].(string), kv[i+1].(*jsonschema.Schema))
	}
	return p
}
