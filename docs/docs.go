// Package docs embeds the documents the server serves: the JSON Schema of
// the manifest format, generated from the registry's Go types.
package docs

import _ "embed"

// ManifestSchema is docs/manifest.schema.json, served at
// GET /api/v1/manifest.schema.json. A registry test keeps it current.
//
//go:embed manifest.schema.json
var ManifestSchema []byte
