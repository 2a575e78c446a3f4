package imagetest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/internal/seed"
)

// TestImage builds the image the Dockerfile's final stage describes (from
// a fresh static build and the layout of its distroless base), loads it
// into the Docker Engine and runs regprune in it, read-only, with no
// capabilities, as the image's user, against a real registry.
func TestImage(t *testing.T) {
	cli := connect(t) // first: without an engine, skip before the slow build
	root := moduleRoot(t)
	df, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatalf("reading the Dockerfile: %v", err)
	}
	st, err := FinalStage(string(df))
	if err != nil {
		t.Fatal(err)
	}
	bin := binaryCopy(t, st)
	checkBuildStage(t, string(df), bin)
	// The image must run as nonroot, whatever the Dockerfile says.
	if uid, _, _ := strings.Cut(st.User, ":"); uid != strconv.Itoa(NonrootUID) {
		t.Fatalf("Dockerfile: USER %q, want the base image's nonroot user %d", st.User, NonrootUID)
	}

	certs, err := os.ReadFile(CACertsPath)
	if err != nil {
		t.Fatalf("reading this machine's CA certificates: %v", err)
	}
	img, err := Assemble(st, map[string][]byte{bin.Sources[0]: buildBinary(t, root)}, certs, runtime.GOARCH)
	if err != nil {
		t.Fatal(err)
	}
	id := randomID(t)
	tag, err := name.NewTag("regprune-imagetest:" + id)
	if err != nil {
		t.Fatalf("naming the image: %v", err)
	}
	load(t, cli, tag, img)
	ref := "regprune-imagetest:" + id
	checkLoaded(t, cli, ref, st)

	reg := registrytest.StartDistribution(t)
	repo := reg.Repo("acme/api")
	day := func(n int) time.Time {
		return time.Now().UTC().Add(-time.Duration(n) * 24 * time.Hour).Truncate(time.Second)
	}
	if _, err := seed.History(t.Context(), repo, []seed.Entry{
		{Tag: "v1.0.0", Created: day(90)},
		{Tag: "v1.1.0", Created: day(60)},
		{Tag: "main-1a2b3c", Created: day(50)},
		{Tag: "v1.2.0", Created: day(30)},
		{Tag: "v2.0.0-rc.1", Created: day(10)},
	}); err != nil {
		t.Fatalf("seeding %s: %v", repo, err)
	}
	cfgDir := configDir(t, fmt.Sprintf(`registries:
  - host: %s
    insecure: true
policies:
  - name: api
    repositories: [%q]
    tags: ["v*"]
    keep:
      - semver: {highest: 1}
`, reg.Host, repo))

	hc := &container.HostConfig{
		NetworkMode:    "host", // the registry listens on 127.0.0.1
		ReadonlyRootfs: true,
		CapDrop:        []string{"ALL"},
		SecurityOpt:    []string{"no-new-privileges"},
		Binds:          []string{cfgDir + ":/config:ro"},
		LogConfig:      container.LogConfig{Type: "json-file"}, // readable whatever the engine's default
	}

	t.Run("version", func(t *testing.T) {
		r := runContainer(t, cli, ref, "regprune-imagetest-"+id+"-version", []string{"version"}, hc)
		if r.exitCode != 0 {
			t.Fatalf("regprune version: exit code %d\nstdout: %s\nstderr: %s", r.exitCode, r.stdout, r.stderr)
		}
		want := "regprune test "
		if !strings.HasPrefix(r.stdout, want) || !strings.HasSuffix(strings.TrimSpace(r.stdout), " linux/"+runtime.GOARCH) {
			t.Errorf("regprune version printed %q, want %q... linux/%s", r.stdout, want, runtime.GOARCH)
		}
	})

	t.Run("plan", func(t *testing.T) {
		r := runContainer(t, cli, ref, "regprune-imagetest-"+id+"-plan", []string{"plan", "-c", "/config/regprune.yaml", "-o", "json"}, hc)
		if r.exitCode != 0 {
			t.Fatalf("regprune plan: exit code %d\nstdout: %s\nstderr: %s", r.exitCode, r.stdout, r.stderr)
		}
		// Not overridden, so the engine ran it as the image's user.
		if r.inspect.Config == nil || r.inspect.Config.User != st.User {
			t.Errorf("container user: got %+v, want %q", r.inspect.Config, st.User)
		}
		var plan struct {
			SchemaVersion int    `json:"schemaVersion"`
			Mode          string `json:"mode"`
			Repositories  []struct {
				Repository string `json:"repository"`
				Error      string `json:"error"`
				Tags       []struct {
					Tag    string `json:"tag"`
					Action string `json:"action"`
				} `json:"tags"`
			} `json:"repositories"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &plan); err != nil {
			t.Fatalf("decoding the plan: %v\nstdout: %s\nstderr: %s", err, r.stdout, r.stderr)
		}
		if plan.SchemaVersion != 1 || plan.Mode != "plan" || len(plan.Repositories) != 1 || plan.Repositories[0].Repository != repo {
			t.Fatalf("plan: schemaVersion %d, mode %q, repositories %+v; want 1, plan, only %s", plan.SchemaVersion, plan.Mode, plan.Repositories, repo)
		}
		if e := plan.Repositories[0].Error; e != "" {
			t.Fatalf("plan: repository %s failed: %s\nstderr: %s", repo, e, r.stderr)
		}
		got := map[string]string{}
		for _, tg := range plan.Repositories[0].Tags {
			got[tg.Tag] = tg.Action
		}
		// The highest release stays; older releases and the prerelease
		// (left out of the ranking) go; main-* is not governed.
		want := map[string]string{"v1.0.0": "delete", "v1.1.0": "delete", "v1.2.0": "keep", "v2.0.0-rc.1": "delete"}
		if a, ok := got["main-1a2b3c"]; ok && a != "keep" {
			t.Errorf("plan: ungoverned main-1a2b3c: action %q, want keep", a)
		}
		delete(got, "main-1a2b3c")
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("plan actions (-want +got):\n%s\nstderr: %s", diff, r.stderr)
		}
	})
}

// binaryCopy returns the final stage's COPY of the binary from a build
// stage.
func binaryCopy(t *testing.T, st Stage) Copy {
	t.Helper()
	for _, c := range st.Copies {
		if c.From != "" && len(c.Sources) == 1 && filepath.Base(c.Sources[0]) == "regprune" {
			return c
		}
	}
	t.Fatalf("Dockerfile: the final stage has no COPY --from=<stage> .../regprune <dest> (copies: %+v)", st.Copies)
	return Copy{}
}

// checkLoaded checks that the engine reads the loaded image's config as
// the Dockerfile's final stage states it.
func checkLoaded(t *testing.T, cli *client.Client, ref string, st Stage) {
	t.Helper()
	in, err := cli.ImageInspect(t.Context(), ref)
	if err != nil {
		t.Fatalf("inspecting %s: %v", ref, err)
	}
	if in.Os != "linux" || in.Architecture != runtime.GOARCH || in.Config == nil {
		t.Fatalf("image %s: os %q, architecture %q, config %v; want linux/%s", ref, in.Os, in.Architecture, in.Config, runtime.GOARCH)
	}
	type conf struct {
		User       string
		Entrypoint []string
		Labels     map[string]string
		Env        []string
	}
	want := conf{User: st.User, Entrypoint: st.Entrypoint, Labels: st.Labels, Env: BaseEnv}
	got := conf{User: in.Config.User, Entrypoint: in.Config.Entrypoint, Labels: in.Config.Labels, Env: in.Config.Env}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("image %s config (-want +got):\n%s", ref, diff)
	}
}

// configDir writes regprune.yaml into a new directory to mount at
// /config. Run as root, the test gives the directory to the nonroot user
// alone (0500/0400): the container runs without capabilities, so only
// that uid can read the file, and a plan that succeeds proves the process
// ran as it.
func configDir(t *testing.T, yaml string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "config")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatalf("writing the configuration: %v", err)
	}
	p := filepath.Join(dir, "regprune.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
		t.Fatalf("writing the configuration: %v", err)
	}
	if os.Geteuid() != 0 {
		t.Logf("not root: %s stays world-readable; the user is checked through the engine only", p)
		return dir
	}
	for _, f := range []struct {
		path string
		mode os.FileMode
	}{{p, 0o400}, {dir, 0o500}} {
		if err := os.Chown(f.path, NonrootUID, NonrootUID); err != nil {
			t.Fatalf("giving %s to uid %d: %v", f.path, NonrootUID, err)
		}
		if err := os.Chmod(f.path, f.mode); err != nil {
			t.Fatalf("giving %s to uid %d: %v", f.path, NonrootUID, err)
		}
	}
	return dir
}

func randomID(t *testing.T) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("making a random tag: %v", err)
	}
	return hex.EncodeToString(b)
}
