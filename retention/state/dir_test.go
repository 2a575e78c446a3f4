package state

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestResolvePrecedence: --state-dir over REGPRUNE_STATE_DIR over
// stateDir over the default, regprune/state under XDG_CACHE_HOME, else
// HOME/.cache; none without either.
func TestResolvePrecedence(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	flag, env, conf := filepath.Join(root, "flag"), filepath.Join(root, "env"), filepath.Join(root, "conf")
	xdg, home := filepath.Join(root, "xdg"), filepath.Join(root, "home")
	for _, tc := range []struct {
		name       string
		flag, conf string
		vars       map[string]string
		want       Dir
	}{
		{"all named: the flag", flag, conf, map[string]string{EnvDir: env, "XDG_CACHE_HOME": xdg, "HOME": home}, Dir{flag, FromFlag}},
		{"variable over configuration", "", conf, map[string]string{EnvDir: env, "HOME": home}, Dir{env, FromEnv}},
		{"configuration over default", "", conf, map[string]string{"XDG_CACHE_HOME": xdg}, Dir{conf, FromConfig}},
		{"flag alone", flag, "", nil, Dir{flag, FromFlag}},
		{"default under XDG_CACHE_HOME", "", "", map[string]string{"XDG_CACHE_HOME": xdg, "HOME": home}, Dir{Path: filepath.Join(xdg, "regprune", "state")}},
		{"default under HOME", "", "", map[string]string{"HOME": home}, Dir{Path: filepath.Join(home, ".cache", "regprune", "state")}},
		{"none", "", "", nil, Dir{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Resolve(tc.flag, func(k string) string { return tc.vars[k] }, tc.conf)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Resolve (-want +got):\n%s", diff)
			}
			if got.Explicit() != (tc.want.From != "") {
				t.Errorf("Explicit() = %v for %+v", got.Explicit(), got)
			}
			if got.Explicit() {
				if fi, err := os.Stat(got.Path); err != nil || !fi.IsDir() {
					t.Errorf("the named directory %s was not created: %v", got.Path, err)
				}
			}
		})
	}
}

// TestResolveUnusable: a named directory that cannot be used is an
// *UnusableError naming where it was named; the default is never
// checked.
func TestResolveUnusable(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	file := filepath.Join(root, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	getenv := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }
	for _, tc := range []struct {
		name, flag, conf string
		vars             map[string]string
		want             string
	}{
		{"flag names a file", file, "", nil, "--state-dir " + file + ": not a directory"},
		{"variable under a file", "", "", map[string]string{EnvDir: filepath.Join(file, "state")}, EnvDir + " " + filepath.Join(file, "state") + ": the state directory cannot be created ("},
		{"configuration names a file", "", file, nil, "stateDir " + file + ": not a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Resolve(tc.flag, getenv(tc.vars), tc.conf)
			var bad *UnusableError
			if !errors.As(err, &bad) || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("Resolve: %v, want an *UnusableError saying %q", err, tc.want)
			}
		})
	}
	if os.Geteuid() != 0 {
		ro := filepath.Join(root, "ro")
		if err := os.Mkdir(ro, 0o500); err != nil {
			t.Fatal(err)
		}
		_, err := Resolve(ro, getenv(nil), "")
		var bad *UnusableError
		if !errors.As(err, &bad) || !errors.Is(err, os.ErrPermission) || !strings.Contains(err.Error(), "cannot be written") {
			t.Errorf("Resolve of a read-only directory: %v, want an *UnusableError saying it cannot be written", err)
		}
	}
	// The default location under a file is not refused here.
	if d, err := Resolve("", getenv(map[string]string{"XDG_CACHE_HOME": file}), ""); err != nil || d.Explicit() {
		t.Errorf("Resolve of the default under a file: %+v, %v; want it, unchecked", d, err)
	}
}

// TestOpenFor: no directory, or one that cannot be used, is a warning
// saying what the run loses, and no store; a usable one is opened with
// expiry applied.
func TestOpenFor(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	if s := OpenFor(Dir{}, WithLogger(log)); s != nil {
		t.Error("OpenFor with no directory returned a store")
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if s := OpenFor(Dir{Path: file}, WithLogger(log)); s != nil {
		t.Error("OpenFor of a file returned a store")
	}
	if n := strings.Count(logs.String(), "going on without state: "+WithoutState); n != 2 {
		t.Errorf("%d warnings saying the run goes on without state, want 2:\n%s", n, logs.String())
	}

	dir := t.TempDir()
	s, _, err := Open(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	s.PutManifest("reg.example/app", "sha256:m", []byte(`{}`), "application/json")
	s.Close()
	time.Sleep(5 * time.Millisecond)
	logs.Reset()
	s = OpenFor(Dir{Path: dir}, WithLogger(log), WithCacheExpiry(time.Millisecond), WithWait(time.Second))
	if s == nil {
		t.Fatalf("OpenFor of a usable directory: no store\n%s", logs.String())
	}
	defer s.Close()
	if s.Knows("reg.example/app") {
		t.Error("an entry older than the cache expiry survived OpenFor")
	}
	if !strings.Contains(logs.String(), "dropped cached manifests not seen for a while") {
		t.Errorf("no word of the expiry:\n%s", logs.String())
	}
	// Without WithLogger nothing is said.
	if s2 := OpenFor(Dir{}); s2 != nil {
		t.Error("OpenFor with no directory returned a store")
	}
}

// TestNewRunID: the start time in UTC and a random suffix.
func TestNewRunID(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("x", 3600))
	a, b := NewRunID(now), NewRunID(now)
	if !regexp.MustCompile(`^20260304T040607Z-[0-9a-f]{6}$`).MatchString(a) {
		t.Errorf("NewRunID = %q, want 20260304T040607Z-XXXXXX", a)
	}
	if a == b {
		t.Errorf("two runs in one second got one id %q", a)
	}
}
