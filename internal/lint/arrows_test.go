package lint

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// arrows is the allow-list of the module's own imports: what each part
// may import of the module (the standard library and third-party
// modules are the forbidden list's business). A package not named here
// is test kit (registrytest, internal/seed, internal/imagetest,
// internal/fakeclock, lint), which no production package may import but
// the demo (internal/demo seeds its registries with internal/seed, which
// does not import testing).
var arrows = map[string][]string{
	"cmd/regprune":                  {"retention/job", "retention/config", "retention/report", "retention/metrics", "retention", "internal/*"},
	"retention/job":                 {"retention", "retention/planner", "retention/execute", "retention/registry", "retention/registry/*", "retention/local/*", "retention/state", "retention/report", "retention/metrics"},
	"retention/planner":             {"retention", "retention/manifest", "internal/pool"},
	"retention/execute":             {"retention", "retention/manifest", "internal/pool"},
	"retention/registry":            {"retention", "retention/apis"},
	"retention/registry/oci":        {"retention", "retention/manifest", "retention/registry", "retention/registry/internal/*", "internal/pool", "internal/logbridge"},
	"retention/registry/github":     {"retention", "retention/apis", "retention/manifest", "retention/registry", "retention/registry/internal/*", "internal/pool"},
	"retention/registry/dockerhub":  {"retention", "retention/apis", "retention/manifest", "retention/registry", "retention/registry/internal/*", "internal/pool"},
	"retention/registry/internal/*": {"retention", "retention/registry"},
	"retention/local/docker":        {"retention", "retention/manifest"},
	"retention/local/layout":        {"retention", "retention/manifest"},
	"retention/config":              {"retention", "retention/apis"},
	"retention/report":              {"retention"},
	"retention/metrics":             {"retention"},
	"retention/state":               {"retention"},
	"retention":                     {"retention/apis", "retention/manifest", "retention/pattern"},
	"retention/apis":                {},
	"retention/manifest":            {},
	"retention/pattern":             {},
	"internal/pool":                 {},
	"internal/logbridge":            {},
	"internal/example":              {},
	"internal/emulator":             {},
	"internal/demo":                 {"retention", "internal/emulator", "internal/seed"},
	"internal/console":              {"internal/logbridge"},
	"internal/argv":                 {"retention/report"},
	"internal/publish":              {"retention", "retention/report", "retention/metrics", "retention/job"},
	"internal/registrytest/toy":     {"retention", "retention/registry"},
}

// TestArrows fails on an import between the module's parts that the
// allow-list does not hold, and on a production package that no rule
// covers.
func TestArrows(t *testing.T) {
	root := repoRoot(t)
	out, err := exec.Command("go", "list", "-C", root, "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], module+"/")
		allowed, ok := rule(pkg)
		if !ok {
			if !testKit(pkg) {
				t.Errorf("%s: no rule in the allow-list", pkg)
			}
			continue
		}
		for _, imp := range fields[1:] {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			imp = strings.TrimPrefix(imp, module+"/")
			if !matches(allowed, imp) {
				t.Errorf("%s imports %s, which the allow-list does not hold", pkg, imp)
			}
		}
	}
}

// rule returns the allow-list of pkg, by its name or a /* pattern.
func rule(pkg string) ([]string, bool) {
	if a, ok := arrows[pkg]; ok {
		return a, true
	}
	for k, a := range arrows {
		if strings.HasSuffix(k, "/*") && strings.HasPrefix(pkg, strings.TrimSuffix(k, "*")) {
			return a, true
		}
	}
	return nil, false
}

func matches(allowed []string, imp string) bool {
	for _, a := range allowed {
		if a == imp || strings.HasSuffix(a, "/*") && strings.HasPrefix(imp, strings.TrimSuffix(a, "*")) {
			return true
		}
	}
	return false
}

func testKit(pkg string) bool {
	return pkg == "internal/registrytest" || strings.HasPrefix(pkg, "internal/seed") || strings.HasPrefix(pkg, "internal/imagetest") || pkg == "internal/fakeclock" || pkg == "internal/lint"
}

// TestFunctionLength fails on any non-test function longer than 80
// lines: a longer one is split into named steps.
func TestFunctionLength(t *testing.T) {
	root := repoRoot(t)
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != root || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			if n := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1; n > 80 {
				rel, _ := filepath.Rel(root, path)
				t.Errorf("%s: %s is %d lines, over 80", rel, fn.Name.Name, n)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestReleaseBinaryLinksNoTestKit: regprune demo links the emulators,
// never the testing package or the test kit.
func TestReleaseBinaryLinksNoTestKit(t *testing.T) {
	out, err := exec.Command("go", "list", "-C", repoRoot(t), "-deps", "./cmd/regprune").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "testing" || strings.HasSuffix(dep, "/registrytest") || strings.HasPrefix(dep, module+"/internal/lint") {
			t.Errorf("the release binary links %s", dep)
		}
	}
}
