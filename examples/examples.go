// Package examples holds the integrations built into the binary: each
// folder has a manifest.json, embedded as the built-in catalog so that an
// installed binary offers them anywhere.
package examples

import "embed"

// Catalog is every example's folder; read it with registry.LoadBuiltin.
//
//go:embed */manifest.json
var Catalog embed.FS
