package lint

import (
	"os"
	"path/filepath"
	"testing"
)

// repoRoot is the repository's root directory: go test runs in the
// package directory, two levels below it.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("finding the repository root: %v", err)
	}
	return root
}

// globs returns the files matching each pattern under root, failing the
// test when a pattern matches nothing: a moved file must not turn a check
// into a silent pass.
func globs(t *testing.T, root string, patterns ...string) []string {
	t.Helper()
	var files []string
	for _, p := range patterns {
		m, err := filepath.Glob(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		if len(m) == 0 {
			t.Fatalf("no file matches %s", p)
		}
		files = append(files, m...)
	}
	return files
}
