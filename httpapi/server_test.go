package httpapi

import (
	"go/parser"
	"go/token"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNewValidates(t *testing.T) {
	t.Parallel()
	valid := func() Config {
		return Config{Registry: &fakeRegistry{}, Executor: &fakeExecutor{},
			Authenticator: fakeAuthn{}, Authorizer: &fakeAuthz{}}
	}
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{name: "no registry", edit: func(c *Config) { c.Registry = nil }, want: "required"},
		{name: "no executor", edit: func(c *Config) { c.Executor = nil }, want: "required"},
		{name: "no authenticator", edit: func(c *Config) { c.Authenticator = nil },
			want: "required"},
		{name: "no authorizer", edit: func(c *Config) { c.Authorizer = nil }, want: "required"},
		{name: "negative body limit", edit: func(c *Config) { c.MaxBodyBytes = -1 },
			want: "MaxBodyBytes"},
		{name: "schema not JSON", edit: func(c *Config) { c.ManifestSchema = []byte("{") },
			want: "ManifestSchema"},
		{name: "minimal", edit: func(*Config) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := valid()
			tt.edit(&cfg)
			srv, err := New(cfg)
			if tt.want == "" {
				require.NoError(t, err)
				require.Equal(t, int64(DefaultMaxBodyBytes), srv.maxBody)
				require.NotNil(t, srv.Handler())
				return
			}
			require.ErrorContains(t, err, tt.want)
			require.Nil(t, srv)
		})
	}
}

func TestPackageDoc(t *testing.T) {
	t.Parallel()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "doc.go", nil, parser.ParseComments|parser.PackageClauseOnly)
	require.NoError(t, err)
	require.NotNil(t, f.Doc)
	doc := f.Doc.Text()
	require.True(t, strings.HasPrefix(doc, "Package httpapi "))
	for _, route := range []string{
		"/healthz", "/readyz", "/manifest.schema.json", "/integrations/catalog/{id}/deploy",
		"/integrations/{id}/config", "/integrations/{id}/actions/{action}", "/mcp", "/sse",
		"/keys/{id}", "/principals/{principal}", "/roles/{name}", "/roles/assign",
		"/roles/revoke", "/roles/assignments", "/permissions/available", "/audit",
		"/auth/start", "/auth/credentials", "/connections/{cid}", "/connections/{cid}/refresh",
		"/api/v1/integrations/auth/callback", "/api/v1/connect/{token}",
	} {
		require.Contains(t, doc, route)
	}
}
