package credentials_test

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestEveryNameDocumented fails when a package doc, or the doc comment of
// an exported constant, variable, function, type or method, is missing,
// in this package or in oauthtest.
func TestEveryNameDocumented(t *testing.T) {
	t.Parallel()
	for dir, name := range map[string]string{".": "credentials", "oauthtest": "oauthtest"} {
		p := parseDir(t, dir, name)
		require.True(t, strings.HasPrefix(p.Doc, "Package "+name+" "), "package doc of %s", name)
		require.Empty(t, undocumented(p), "exported names of %s without a doc comment", name)
	}
}

func parseDir(t *testing.T, dir, name string) *doc.Package {
	t.Helper()
	fset := token.NewFileSet()
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	require.NoError(t, err)
	var files []*ast.File
	for _, path := range paths {
		if !strings.HasSuffix(path, "_test.go") {
			f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
			require.NoError(t, err)
			files = append(files, f)
		}
	}
	p, err := doc.NewFromFiles(fset, files, "github.com/switchboard-dev/switchboard/"+name)
	require.NoError(t, err)
	return p
}

func undocumented(p *doc.Package) []string {
	var missing []string
	need := func(name, comment string) {
		if ast.IsExported(name) && strings.TrimSpace(comment) == "" {
			missing = append(missing, name)
		}
	}
	values := func(vs []*doc.Value) {
		for _, v := range vs {
			for _, n := range v.Names {
				need(n, v.Doc)
			}
		}
	}
	values(p.Consts)
	values(p.Vars)
	for _, f := range p.Funcs {
		need(f.Name, f.Doc)
	}
	for _, typ := range p.Types {
		need(typ.Name, typ.Doc)
		values(typ.Consts)
		values(typ.Vars)
		for _, f := range append(typ.Funcs, typ.Methods...) {
			need(typ.Name+"."+f.Name, f.Doc)
		}
	}
	return missing
}
