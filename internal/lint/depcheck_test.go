package lint

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/regprune/regprune"

// forbidden are the dependencies (import paths or their prefixes) that
// the pure packages must not reach even indirectly: the core, the
// planner and the executor decide and order deletions over plain values
// and small interfaces; HTTP, configuration files, retries and the
// Docker Engine belong to the packages behind them.
var forbidden = []string{
	"net/http",
	"github.com/spf13/viper",
	"github.com/hashicorp/go-retryablehttp",
	"github.com/moby/moby",
	"github.com/docker/",
	module + "/retention/registry",
	module + "/retention/report",
	module + "/retention/config",
	module + "/retention/local",
}

// TestDependencies fails when the core (retention), the pure packages
// beside it (retention/apis, retention/manifest, retention/pattern), the
// planner or the executor depend on anything forbidden, or when a file
// other than the OCI client's transport and the REST kit's retry layer
// imports go-retryablehttp: one retry layer per protocol, the OCI API's
// (under go-containerregistry) and the vendor APIs' (GitHub Packages,
// Docker Hub and any provider after them build their HTTP client from
// the kit, and hold no retry of their own).
func TestDependencies(t *testing.T) {
	root := repoRoot(t)
	for _, pkg := range []string{"retention", "retention/apis", "retention/manifest", "retention/pattern", "retention/planner", "retention/execute"} {
		out, err := exec.Command("go", "list", "-C", root, "-deps", "-f", "{{.ImportPath}}", "./"+pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, f := range forbidden {
				if dep == f || strings.HasPrefix(dep, strings.TrimSuffix(f, "/")+"/") {
					t.Errorf("%s depends on %s", pkg, dep)
				}
			}
		}
	}
	const retry = "github.com/hashicorp/go-retryablehttp"
	allowed := map[string]bool{filepath.Join("retention", "registry", "oci", "transport.go"): true, filepath.Join("retention", "registry", "internal", "rest", "retry.go"): true}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != root || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == retry && !allowed[rel] {
				t.Errorf("%s imports %s; only %v may (one retry layer)", rel, retry, allowed)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
