package lint

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// coreExportsCeiling is the most names package retention may export. The
// aim (issue 24) is at most 100: the core exports what its callers use.
// It is a ceiling that only goes down: 165 before the first pass, 154
// after it, which unexported or removed only what no other package used;
// 100 after the second, which moved out what belongs elsewhere (manifest
// reading to retention/manifest, the pattern language to
// retention/pattern, the API table to retention/apis, reading a saved
// plan to report, config warnings to config, providers' own errors to
// registry, the local caches' lookups to their backends, the cloud
// logins' default to the OCI client); 99 once the providers' settings
// left it (retention.Pacing is github's, with maxWait and apiURL).
const coreExportsCeiling = 99

// TestCoreExports counts the exported names of the core, package
// retention (its non-test files): types, functions, methods of exported
// types, variables and constants.
func TestCoreExports(t *testing.T) {
	names := coreExports(t, filepath.Join(repoRoot(t), "retention"))
	if len(names) > coreExportsCeiling {
		t.Errorf("package retention exports %d names, more than %d; unexport what only the core uses, or move what belongs elsewhere:\n%s", len(names), coreExportsCeiling, strings.Join(names, "\n"))
	}
	if len(names) < coreExportsCeiling {
		t.Logf("package retention exports %d names: lower coreExportsCeiling to %d", len(names), len(names))
	}
}

// coreExports returns the exported names declared in dir's non-test Go
// files (not its subfolders), sorted, a method as Type.Method.
func coreExports(t *testing.T, dir string) []string {
	t.Helper()
	fset := token.NewFileSet()
	var names []string
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("finding the core's files in %s: %v", dir, err)
	}
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			names = append(names, exportedNames(d)...)
		}
	}
	sort.Strings(names)
	return names
}

// exportedNames returns the exported names one declaration adds.
func exportedNames(d ast.Decl) []string {
	var names []string
	switch d := d.(type) {
	case *ast.FuncDecl:
		if !d.Name.IsExported() {
			break
		}
		if d.Recv == nil {
			names = append(names, d.Name.Name)
			break
		}
		recv := d.Recv.List[0].Type
		if star, ok := recv.(*ast.StarExpr); ok {
			recv = star.X
		}
		if generic, ok := recv.(*ast.IndexExpr); ok {
			recv = generic.X
		}
		if id, ok := recv.(*ast.Ident); ok && id.IsExported() {
			names = append(names, id.Name+"."+d.Name.Name)
		}
	case *ast.GenDecl:
		for _, spec := range d.Specs {
			switch s := spec.(type) {
			case *ast.TypeSpec:
				if s.Name.IsExported() {
					names = append(names, s.Name.Name)
				}
			case *ast.ValueSpec:
				for _, n := range s.Names {
					if n.IsExported() {
						names = append(names, n.Name)
					}
				}
			}
		}
	}
	return names
}
