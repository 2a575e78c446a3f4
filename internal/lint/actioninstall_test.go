package lint

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// runnerEnv is the part of a GitHub runner's environment the action's
// install steps read.
type runnerEnv struct {
	os, arch        string // RUNNER_OS, RUNNER_ARCH
	temp, toolCache string
	path            string // PATH
	releases        string // REGPRUNE_RELEASES_URL, the fake release server
	extra           []string
}

func newRunner(t *testing.T, fakes map[string]string) runnerEnv {
	t.Helper()
	return runnerEnv{os: "Linux", arch: "X64", temp: t.TempDir(), toolCache: t.TempDir(), path: sandboxPath(t, fakes)}
}

func (r runnerEnv) env() []string {
	env := []string{
		"PATH=" + r.path, "RUNNER_OS=" + r.os, "RUNNER_ARCH=" + r.arch,
		"RUNNER_TEMP=" + r.temp, "RUNNER_TOOL_CACHE=" + r.toolCache,
	}
	if r.releases != "" {
		env = append(env, "REGPRUNE_RELEASES_URL="+r.releases)
	}
	return append(append(env, r.extra...), loopbackOnly...)
}

// installAction runs the action's resolve and install steps in order, as
// the runner would: the install step's env gets the resolve step's
// outputs. ref is github.action_ref, version the version input.
func installAction(t *testing.T, r runnerEnv, ref, version string) (resolve, install stepResult) {
	t.Helper()
	_, md := readAction(t, repoRoot(t))
	rs := stepByID(t, md, "resolve")
	resolve = runStep(t, "", rs.Run, append(stepEnv(t, rs, map[string]string{"github.action_ref": ref, "inputs.version": version}), r.env()...))
	if resolve.code != 0 {
		t.Fatalf("the resolve step exited %d:\n%s%s", resolve.code, resolve.stdout, resolve.stderr)
	}
	values := map[string]string{}
	for k, v := range resolve.outputs {
		values["steps.resolve.outputs."+k] = v
	}
	is := stepByID(t, md, "install")
	install = runStep(t, "", is.Run, append(stepEnv(t, is, values), r.env()...))
	return resolve, install
}

// fakeRelease is a GitHub release served on loopback at
// /releases/download/<version>/<file>.
type fakeRelease struct {
	version  string
	files    map[string][]byte
	down     atomic.Bool // every request answered 503
	requests atomic.Int32
}

// serve starts the server and returns the base URL for REGPRUNE_RELEASES_URL.
func (rel *fakeRelease) serve(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rel.requests.Add(1)
		name, ok := strings.CutPrefix(r.URL.Path, "/releases/download/"+rel.version+"/")
		b, found := rel.files[name]
		switch {
		case rel.down.Load():
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
		case !ok || !found:
			http.NotFound(w, r)
		default:
			_, _ = w.Write(b)
		}
	}))
	t.Cleanup(srv.Close)
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Fatalf("the fake release server is at %s, not on loopback", srv.URL)
	}
	return srv.URL + "/releases/download"
}

// sha256sums is a SHA256SUMS file, as `sha256sum` writes it.
func sha256sums(files map[string][]byte, names ...string) []byte {
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%x  %s\n", sha256.Sum256(files[n]), n)
	}
	return []byte(b.String())
}

// fakeCosign records its arguments in $RUNNER_TEMP/cosign.args and exits
// with the code given.
func fakeCosign(code int) string {
	return fmt.Sprintf("#!/usr/bin/env bash\nprintf '%%s\\n' \"$@\" > \"$RUNNER_TEMP/cosign.args\"\nexit %d\n", code)
}

const releaseBinary = "#!/bin/sh\necho 'regprune v1.2.3 (fake release binary)'\n"

// assertNotInstalled checks that a failed install left no binary where
// the run step would take it from, not even a partial one.
func assertNotInstalled(t *testing.T, r runnerEnv, res stepResult) {
	t.Helper()
	if res.outputs["bin"] != "" {
		t.Errorf("a failed install set bin=%s", res.outputs["bin"])
	}
	dir := filepath.Join(r.toolCache, "regprune", "v1.2.3", "linux-amd64")
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Errorf("a failed install left %d files in %s (%s ...)", len(entries), dir, entries[0].Name())
	}
}

// TestActionDownloadsRelease runs the action's install path for a release
// tag against a fake release on loopback: a checksum that matches
// installs a binary that runs; a wrong one, a missing asset, an unlisted
// one or a bad signature fail the step with a clear error and install
// nothing.
func TestActionDownloadsRelease(t *testing.T) {
	const asset = "regprune_v1.2.3_linux_amd64"
	good := map[string][]byte{asset: []byte(releaseBinary), "regprune_v1.2.3_darwin_arm64": []byte("other")}
	tests := []struct {
		name       string
		files      func() map[string][]byte // served besides the asset, given the asset
		noAsset    bool
		cosign     string // a fake cosign on PATH; "" for none
		wantCode   int
		wantStdout string
	}{
		{name: "verified", wantStdout: "cosign is not on PATH"},
		{name: "signature verified", cosign: fakeCosign(0), wantStdout: "downloaded and verified"},
		{name: "bad signature", cosign: fakeCosign(1), wantCode: 1, wantStdout: "cosign signature of v1.2.3's SHA256SUMS does not verify"},
		{name: "wrong checksum", wantCode: 1, wantStdout: "checksum mismatch for " + asset, files: func() map[string][]byte {
			return map[string][]byte{"SHA256SUMS": sha256sums(map[string][]byte{asset: []byte("something else")}, asset)}
		}},
		{name: "missing asset", noAsset: true, wantCode: 1, wantStdout: "cannot download http://127.0.0.1:"},
		{name: "asset not listed", wantCode: 1, wantStdout: "SHA256SUMS lists no " + asset, files: func() map[string][]byte {
			return map[string][]byte{"SHA256SUMS": sha256sums(good, "regprune_v1.2.3_darwin_arm64")}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rel := &fakeRelease{version: "v1.2.3", files: map[string][]byte{
				"SHA256SUMS":               sha256sums(good, asset, "regprune_v1.2.3_darwin_arm64"),
				"SHA256SUMS.sigstore.json": []byte(`{"fake":"bundle"}`),
			}}
			if !tc.noAsset {
				rel.files[asset] = good[asset]
			}
			if tc.files != nil {
				for k, v := range tc.files() {
					rel.files[k] = v
				}
			}
			fakes := map[string]string{}
			if tc.cosign != "" {
				fakes["cosign"] = tc.cosign
			}
			r := newRunner(t, fakes)
			r.releases = rel.serve(t)
			_, res := installAction(t, r, "v1.2.3", "")
			if res.code != tc.wantCode || !strings.Contains(res.stdout, tc.wantStdout) {
				t.Fatalf("install exited %d, want %d, with %q in stdout:\n%s%s", res.code, tc.wantCode, tc.wantStdout, res.stdout, res.stderr)
			}
			if rel.requests.Load() == 0 {
				t.Error("the fake release server got no request: REGPRUNE_RELEASES_URL was not used")
			}
			if tc.wantCode != 0 {
				assertNotInstalled(t, r, res)
				return
			}
			checkInstalled(t, r, res, tc.cosign != "")
		})
	}
}

// checkInstalled checks a successful install: the binary is in the
// cached directory, named by the bin output, runs, and (with cosign)
// the signature was checked against release.yml's identity at the tag.
func checkInstalled(t *testing.T, r runnerEnv, res stepResult, cosign bool) {
	t.Helper()
	want := filepath.Join(r.toolCache, "regprune", "v1.2.3", "linux-amd64", "regprune")
	if res.outputs["bin"] != want {
		t.Errorf("bin=%q, want %q", res.outputs["bin"], want)
	}
	if !strings.Contains(res.stdout, "fake release binary") {
		t.Errorf("the step did not run the installed binary's version:\n%s", res.stdout)
	}
	if !cosign {
		return
	}
	args, err := os.ReadFile(filepath.Join(r.temp, "cosign.args"))
	if err != nil {
		t.Fatalf("cosign was on PATH but not run: %v", err)
	}
	for _, w := range []string{"verify-blob", "https://github.com/regprune/regprune/.github/workflows/release.yml@refs/tags/v1.2.3", "https://token.actions.githubusercontent.com", "SHA256SUMS.sigstore.json"} {
		if !strings.Contains(string(args), w) {
			t.Errorf("cosign was run without %q:\n%s", w, args)
		}
	}
}

// TestActionReusesCachedRelease: a binary restored from the cache (the
// same directory) is used without a download when it matches its
// SHA256SUMS, and replaced by a verified download when it does not.
func TestActionReusesCachedRelease(t *testing.T) {
	const asset = "regprune_v1.2.3_linux_amd64"
	files := map[string][]byte{asset: []byte(releaseBinary)}
	files["SHA256SUMS"] = sha256sums(files, asset)
	rel := &fakeRelease{version: "v1.2.3", files: files}
	r := newRunner(t, nil)
	r.releases = rel.serve(t)
	if _, res := installAction(t, r, "v1.2.3", ""); res.code != 0 {
		t.Fatalf("first install exited %d:\n%s%s", res.code, res.stdout, res.stderr)
	}
	rel.down.Store(true)
	r.temp = t.TempDir() // a new job: RUNNER_TEMP is per job, the cached directory is restored
	_, res := installAction(t, r, "v1.2.3", "")
	if res.code != 0 || !strings.Contains(res.stdout, "from the cache") {
		t.Fatalf("install from the cache exited %d:\n%s%s", res.code, res.stdout, res.stderr)
	}
	if err := os.WriteFile(res.outputs["bin"], []byte("#!/bin/sh\necho tampered\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	rel.down.Store(false)
	_, res = installAction(t, r, "v1.2.3", "")
	if res.code != 0 || strings.Contains(res.stdout, "tampered") || !strings.Contains(res.stdout, "downloaded and verified") || !strings.Contains(res.stdout, "fake release binary") {
		t.Fatalf("a cached binary that does not match SHA256SUMS was not replaced by a verified download (exit %d):\n%s%s", res.code, res.stdout, res.stderr)
	}
}

// TestActionResolvesVersion: which tags are downloaded and which refs are
// built, and the asset each runner asks for.
func TestActionResolvesVersion(t *testing.T) {
	tests := []struct {
		name, ref, version, os, arch string
		wantMode, wantVersion        string
		wantAsset                    string
	}{
		{name: "release tag", ref: "v1.2.3", wantMode: "release", wantVersion: "v1.2.3", wantAsset: "regprune_v1.2.3_linux_amd64"},
		{name: "prerelease", ref: "v1.3.0-rc.1", wantMode: "release", wantVersion: "v1.3.0-rc.1", wantAsset: "regprune_v1.3.0-rc.1_linux_amd64"},
		{name: "branch", ref: "main", wantMode: "source", wantVersion: "main"},
		{name: "commit", ref: "0123456789abcdef0123456789abcdef01234567", wantMode: "source"},
		{name: "major tag only", ref: "v1", wantMode: "source", wantVersion: "v1"},
		{name: "local uses: ./", ref: "", wantMode: "source"},
		{name: "version input wins", ref: "main", version: "v1.2.0", wantMode: "release", wantVersion: "v1.2.0", wantAsset: "regprune_v1.2.0_linux_amd64"},
		{name: "version latest", ref: "v1.2.3", version: "latest", wantMode: "module", wantVersion: "latest"},
		{name: "windows arm64", ref: "v1.2.3", os: "Windows", arch: "ARM64", wantMode: "release", wantAsset: "regprune_v1.2.3_windows_arm64.exe"},
		{name: "macos", ref: "v1.2.3", os: "macOS", arch: "ARM64", wantMode: "release", wantAsset: "regprune_v1.2.3_darwin_arm64"},
		{name: "no release for x86", ref: "v1.2.3", arch: "X86", wantMode: "source"},
	}
	_, md := readAction(t, repoRoot(t))
	rs := stepByID(t, md, "resolve")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRunner(t, nil)
			if tc.os != "" {
				r.os = tc.os
			}
			if tc.arch != "" {
				r.arch = tc.arch
			}
			res := runStep(t, "", rs.Run, append(stepEnv(t, rs, map[string]string{"github.action_ref": tc.ref, "inputs.version": tc.version}), r.env()...))
			got := res.outputs
			if res.code != 0 || got["mode"] != tc.wantMode || got["asset"] != tc.wantAsset || (tc.wantVersion != "" && got["version"] != tc.wantVersion) {
				t.Errorf("exit %d, outputs %v; want mode %q, version %q, asset %q\n%s", res.code, got, tc.wantMode, tc.wantVersion, tc.wantAsset, res.stderr)
			}
		})
	}
}

// TestActionBuildsFromSource: a ref without a release (a branch, a
// commit, uses: ./) builds regprune from the action's checkout with the
// Go that setup-go put on PATH, stamped with the ref. The module cache is
// the machine's, and GOPROXY=off keeps the build off the network.
func TestActionBuildsFromSource(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("finding the go command: %v", err)
	}
	r := newRunner(t, nil)
	r.path = filepath.Dir(goBin) + string(os.PathListSeparator) + os.Getenv("PATH")
	r.extra = []string{"GITHUB_ACTION_PATH=" + repoRoot(t), "GOPROXY=off", "HOME=" + os.Getenv("HOME")}
	for _, k := range []string{"GOCACHE", "GOMODCACHE", "GOPATH", "XDG_CACHE_HOME"} {
		if v := os.Getenv(k); v != "" {
			r.extra = append(r.extra, k+"="+v)
		}
	}
	resolve, res := installAction(t, r, "main", "")
	if resolve.outputs["mode"] != "source" {
		t.Fatalf("ref main resolved to mode %q, want source", resolve.outputs["mode"])
	}
	want := filepath.Join(r.temp, "regprune", "bin", "regprune")
	if res.code != 0 || res.outputs["bin"] != want || !strings.Contains(res.stdout, "regprune main ") {
		t.Fatalf("install exited %d with bin=%q (want %q and `regprune main` printed):\n%s%s", res.code, res.outputs["bin"], want, res.stdout, res.stderr)
	}
}
