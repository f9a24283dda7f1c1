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

// JSONSchema describes userAuth.
func (UserAuth) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{
		Type:        "object",
		Description: "How a user connects their own account",
		Properties: props("type", &jsonschema.Schema{Type: "string",
			Enum: []any{"oauth2", "credentials", "redirect"}}),
		Required:             []string{"type"},
		AdditionalProperties: jsonschema.TrueSchema,
	}
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
