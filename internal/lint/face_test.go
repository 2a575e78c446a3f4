package lint

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// faceLines is the most non-test lines cmd/regprune may have: it parses
// flags, picks the output and maps errors to exit codes; a run is a
// library call (retention/job), as crane is a thin face over pkg/crane.
const faceLines = 900

// TestThinFace fails when cmd/regprune grows past faceLines non-test
// lines (counted as wc -l counts them).
func TestThinFace(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "cmd", "regprune")
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		total += bytes.Count(b, []byte("\n"))
	}
	if total > faceLines {
		t.Errorf("cmd/regprune has %d non-test lines, over %d: move what is not flags, output or exit codes into a library package", total, faceLines)
	}
}
