package audit_test

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

// TestEveryNameDocumented fails when the package doc, or the doc comment of
// an exported constant, variable, function, type or method, is missing.
func TestEveryNameDocumented(t *testing.T) {
	t.Parallel()
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	require.NoError(t, err)
	var files []*ast.File
	for _, name := range names {
		if !strings.HasSuffix(name, "_test.go") {
			f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
			require.NoError(t, err)
			files = append(files, f)
		}
	}
	p, err := doc.NewFromFiles(fset, files, "github.com/switchboard-dev/switchboard/audit")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(p.Doc, "Package audit "), "package doc")

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
	require.Empty(t, missing, "exported names without a doc comment")
}
