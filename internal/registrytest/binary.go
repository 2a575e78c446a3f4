package registrytest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Version is the Distribution release the tests run against.
const Version = "v3.1.2"

// EnvBinary names the environment variable that points at a registry
// binary to use instead of the cached or installed one.
const EnvBinary = "REGPRUNE_REGISTRY_BIN"

const modulePath = "github.com/distribution/distribution/v3"

// installTimeout bounds `go install`; building the registry with all its
// storage drivers takes a few minutes on a small machine.
const installTimeout = 8 * time.Minute

var (
	binMu   sync.Mutex
	binPath string
	binErr  error
)

// Binary returns the path of the Distribution registry binary, found once
// per test process: $REGPRUNE_REGISTRY_BIN if set; else
// <user cache dir>/regprune/bin/registry; else installed there with
// `go install github.com/distribution/distribution/v3/cmd/registry@v3.1.2`
// (under a file lock, since test packages run in parallel). Its
// --version must report v3.1.2. When none can be had the test is skipped,
// or fails when CI=true: under CI a missing component is a failure.
func Binary(t testing.TB) string {
	t.Helper()
	binMu.Lock()
	defer binMu.Unlock()
	if binPath == "" && binErr == nil {
		binPath, binErr = findBinary()
	}
	if binErr != nil {
		msg := fmt.Sprintf("registrytest: no Distribution registry %s: %v (set %s, or allow `go install %s/cmd/registry@%s`)",
			Version, binErr, EnvBinary, modulePath, Version)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return binPath
}

func findBinary() (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		if err := checkVersion(p); err != nil {
			return "", fmt.Errorf("checking %s=%s: %w", EnvBinary, p, err)
		}
		return p, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the cache directory: %w", err)
	}
	dir := filepath.Join(cache, "regprune", "bin")
	p := filepath.Join(dir, "registry")
	if checkVersion(p) == nil {
		return p, nil
	}
	if err := install(dir); err != nil {
		return "", err
	}
	if err := checkVersion(p); err != nil {
		return "", fmt.Errorf("checking installed %s: %w", p, err)
	}
	return p, nil
}

// checkVersion runs `registry --version`, which prints
// "<path> github.com/distribution/distribution/v3 v3.1.2+unknown" for a
// go-installed binary.
func checkVersion(p string) error {
	out, err := exec.Command(p, "--version").CombinedOutput()
	if err != nil {
		return fmt.Errorf("running %s --version: %w", p, err)
	}
	fields := strings.Fields(string(out))
	for i, f := range fields {
		if f == modulePath && i+1 < len(fields) {
			v, _, _ := strings.Cut(fields[i+1], "+")
			if v == Version {
				return nil
			}
			return fmt.Errorf("%s is %s, want %s", p, fields[i+1], Version)
		}
	}
	return fmt.Errorf("%s --version: unexpected output %q", p, strings.TrimSpace(string(out)))
}

// install runs go install into dir while holding dir's lock, unless
// another process installed the binary while this one waited.
func install(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("installing registry: %w", err)
	}
	unlock, err := lockFile(filepath.Join(dir, ".install.lock"))
	if err != nil {
		return fmt.Errorf("installing registry: %w", err)
	}
	defer unlock()
	if checkVersion(filepath.Join(dir, "registry")) == nil {
		return nil
	}
	goBin, err := goCommand()
	if err != nil {
		return fmt.Errorf("installing registry: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), installTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "install", modulePath+"/cmd/registry@"+Version)
	// Outside any module, so the install does not touch ours.
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("installing registry: go install: %w\n%s", err, out)
	}
	return nil
}

func goCommand() (string, error) {
	if p, err := exec.LookPath("go"); err == nil {
		return p, nil
	}
	if root := os.Getenv("GOROOT"); root != "" {
		p := filepath.Join(root, "bin", "go")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("finding the go command: not in PATH")
}
