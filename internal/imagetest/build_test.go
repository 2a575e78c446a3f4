package imagetest

import (
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// buildTimeout bounds the go build of the binary; a cold build of the
// whole dependency graph on the 2-core CI machine takes about a minute.
const buildTimeout = 5 * time.Minute

// moduleRoot walks up from the test's directory to the go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("finding the module root: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("finding the module root: no go.mod above the test's directory")
		}
		dir = parent
	}
}

// checkBuildStage checks that the Dockerfile's build stage builds the
// binary the way buildBinary does: static, trimmed, the version stamped in
// main.version, written where the final stage copies it from.
func checkBuildStage(t *testing.T, dockerfile string, c Copy) {
	t.Helper()
	runs, err := StageRuns(dockerfile, c.From)
	if err != nil {
		t.Fatal(err)
	}
	for _, run := range runs {
		if !strings.Contains(run, "go build") {
			continue
		}
		for _, want := range []string{"CGO_ENABLED=0", "-trimpath", `-ldflags "-s -w -X main.version=`, "-o " + c.Sources[0] + " ", "./cmd/regprune"} {
			if !strings.Contains(run+" ", want) {
				t.Errorf("Dockerfile stage %s: the go build does not have %q, which the image test builds with:\n%s", c.From, want, run)
			}
		}
		return
	}
	t.Fatalf("Dockerfile stage %s: no RUN with go build", c.From)
}

// buildBinary builds ./cmd/regprune for linux/GOARCH as the Dockerfile's
// build stage does, with version "test", and checks that it is static.
func buildBinary(t *testing.T, root string) []byte {
	t.Helper()
	// go test puts its own toolchain first in PATH.
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("building regprune: finding the go command: %v", err)
	}
	out := filepath.Join(t.TempDir(), "regprune")
	ctx, cancel := context.WithTimeout(t.Context(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "build", "-trimpath",
		"-ldflags", "-s -w -X main.version=test", "-o", out, "./cmd/regprune")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	start := time.Now()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building regprune: go build: %v\n%s", err, b)
	}
	t.Logf("built %s in %s", out, time.Since(start).Round(time.Millisecond))
	if err := checkStatic(out); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("reading the binary: %v", err)
	}
	return b
}

// checkStatic fails for an ELF file that needs a dynamic loader or shared
// libraries, which the distroless static base does not have.
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("checking %s is static: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("checking %s is static: it has an interpreter (PT_INTERP)", path)
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil && !errors.Is(err, elf.ErrNoSymbols) {
		return fmt.Errorf("checking %s is static: %w", path, err)
	}
	if len(libs) > 0 {
		return fmt.Errorf("checking %s is static: it needs %v (DT_NEEDED)", path, libs)
	}
	return nil
}
