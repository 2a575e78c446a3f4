package registrytest

import (
	"os"
	"path/filepath"
	"testing"
)

// LockEngine gives the test the machine's Docker Engine to itself until it
// ends. Tests in several packages use the one engine, and some measure its
// disk usage, which any other test's images would change; go test runs
// packages in parallel, so they take this lock (a file lock, so it holds
// across processes and within one).
func LockEngine(t testing.TB) {
	t.Helper()
	unlock, err := lockFile(filepath.Join(os.TempDir(), "regprune-docker-engine.lock"))
	if err != nil {
		t.Fatalf("locking the docker engine for the test: %v", err)
	}
	t.Cleanup(unlock)
}
