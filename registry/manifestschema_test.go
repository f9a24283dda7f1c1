package registry

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/invopop/jsonschema"
	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard/examples"
)

var update = flag.Bool("update", false, "rewrite golden files")

const schemaFile = "../docs/manifest.schema.json"

// generateManifestSchema reflects the manifest types, with their Go doc
// comments as descriptions.
func generateManifestSchema(t *testing.T) []byte {
	t.Helper()
	r := &jsonschema.Reflector{
		ExpandedStruct:             true,
		RequiredFromJSONSchemaTags: true,
		DoNotReference:             false,
	}
	require.NoError(t, r.AddGoComments("github.com/switchboard-dev/switchboard/registry", "./"))
	s := r.Reflect(&Manifest{})
	s.ID = "urn:switchboard:manifest"
	s.Title = "Switchboard integration manifest"
	b, err := json.MarshalIndent(s, "", "  ")
	require.NoError(t, err)
	return append(b, '\n')
}

// TestManifestSchemaIsCurrent keeps docs/manifest.schema.json equal to what
// the Go types generate. Refresh it with: go test ./registry -run ManifestSchema -update
func TestManifestSchemaIsCurrent(t *testing.T) {
	got := generateManifestSchema(t)
	if *update {
		require.NoError(t, os.WriteFile(schemaFile, got, 0o644))
	}
	want, err := os.ReadFile(schemaFile)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got),
		"docs/manifest.schema.json is stale: run go test ./registry -run ManifestSchema -update")
}

// TestManifestSchemaAcceptsExamples checks the generated schema against the
// manifests it describes.
func TestManifestSchemaAcceptsExamples(t *testing.T) {
	raw, err := os.ReadFile(schemaFile)
	require.NoError(t, err)
	sch, err := CompileSchema(raw)
	require.NoError(t, err)
	paths, err := filepath.Glob("../examples/*/manifest.json")
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	docs := [][]byte{[]byte(docManifest), []byte(authManifest(fullOAuth, `[]`)),
		[]byte(authManifest(clientCredentialsBlock, `[]`)), []byte(authManifest(formBlock, `[]`)),
		[]byte(authManifest(`{"type":"redirect","provider":"demo"}`, `[]`))}
	for _, p := range paths {
		b, err := examples.Catalog.ReadFile(filepath.Join(filepath.Base(filepath.Dir(p)), "manifest.json"))
		require.NoError(t, err)
		docs = append(docs, b)
	}
	for _, d := range docs {
		v, err := DecodeInput(d)
		require.NoError(t, err)
		require.NoError(t, sch.Validate(v))
	}
	bad, err := DecodeInput([]byte(`{"appId":"x","name":"x","version":"1","actions":[{"id":"a","request":{"url":"u","heders":{}}}]}`))
	require.NoError(t, err)
	require.Error(t, sch.Validate(bad), "the schema refuses unknown fields in request")
	require.True(t, bytes.Contains(raw, []byte(`"platformSecret"`)))

	for _, userAuth := range []string{
		oauthBlock + `,"tokenURL":"https://x.example/t"}`,
		`{"type":"oauth2","clientId":"clientId","tokenUrl":"https://x.example/t"}`,
		`{"type":"oauth2","clientId":"clientId","authorizationUrl":"https://x.example/a"}`,
		`{"type":"credentials"}`,
		`{"type":"saml"}`,
	} {
		bad, err := DecodeInput([]byte(authManifest(userAuth, `[]`)))
		require.NoError(t, err)
		require.Error(t, sch.Validate(bad), "the schema refuses userAuth %s", userAuth)
	}
}
