package registry

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard/examples"
)

func writeManifest(t *testing.T, dir, raw string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(raw), 0o644))
}

func TestLoadFolders(t *testing.T) {
	t.Parallel()
	a, b := t.TempDir(), t.TempDir()
	writeManifest(t, filepath.Join(a, "demo"), demoV1)
	writeManifest(t, filepath.Join(a, "other"), otherV1)
	writeManifest(t, b, demoV1)

	entries, err := LoadFolders([]string{a})
	require.NoError(t, err)
	require.Len(t, entries, 2)
	require.Equal(t, SourceFolder, entries[0].Source)

	_, err = LoadFolders([]string{a, b})
	require.ErrorContains(t, err, filepath.Join(a, "demo", "manifest.json"))
	require.ErrorContains(t, err, filepath.Join(b, "manifest.json"))

	bad := t.TempDir()
	writeManifest(t, filepath.Join(bad, "x"), `{"appId":"x"}`)
	_, err = LoadFolders([]string{bad})
	require.ErrorContains(t, err, "name: required")

	_, err = LoadFolders([]string{t.TempDir()})
	require.ErrorContains(t, err, "holds no manifest.json")
}

func TestFolderReplacesBuiltin(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeManifest(t, dir, `{"appId":"slack","name":"My Slack","version":"7.0.0","actions":[]}`)
	folders, err := LoadFolders([]string{dir})
	require.NoError(t, err)
	builtin, err := LoadBuiltin(examples.Catalog)
	require.NoError(t, err)
	s := newMemStore()
	r, err := New(t.Context(), Config{Store: s, Secrets: s, Builtin: builtin, Folders: folders})
	require.NoError(t, err)
	e, err := r.CatalogEntry(t.Context(), "slack")
	require.NoError(t, err)
	require.Equal(t, "7.0.0", e.Manifest.Version)
	_, err = r.CatalogEntry(t.Context(), "stripe")
	require.NoError(t, err)
}

func TestBuiltinExamplesAreValid(t *testing.T) {
	t.Parallel()
	entries, err := LoadBuiltin(examples.Catalog)
	require.NoError(t, err)
	ids := map[string]bool{}
	for _, e := range entries {
		require.Empty(t, e.Warnings, e.Manifest.AppID)
		ids[e.Manifest.AppID] = true
		for _, a := range e.Manifest.Actions {
			require.NotNil(t, a.Request, "%s.%s has a request", e.Manifest.AppID, a.ID)
		}
	}
	require.True(t, ids["slack"] && ids["stripe"] && ids["github"] && ids["notion"])
}
