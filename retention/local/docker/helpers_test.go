package docker

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
)

// testEngine connects to the machine's engine. Without one the test is
// skipped, except under CI=true, where a missing engine is a failure.
func testEngine(t *testing.T) *Engine {
	t.Helper()
	registrytest.LockEngine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e, err := Connect(ctx, "")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and no docker engine: %v", err)
		}
		t.Skipf("no docker engine: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// fixture creates images and containers under a unique repository prefix
// and removes exactly those when the test ends.
type fixture struct {
	t *testing.T
	// e is the engine the code under test gets: every request it sends
	// is checked against the rules no run may break (never force, never
	// POST /images/prune, never remove a container). raw is the same
	// engine unwatched, for the fixture's own cleanup.
	e, raw *Engine
	prefix string // "regprune-test-<random>"

	mu         sync.Mutex
	images     map[string]bool
	containers []string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	e := testEngine(t)
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, raw: e, prefix: "regprune-test-" + hex.EncodeToString(b[:]), images: map[string]bool{}}
	t.Cleanup(f.cleanup)
	f.e = recordingEngine(t, e, func(r *http.Request) {
		q := r.URL.Query()
		switch {
		case strings.HasSuffix(r.URL.Path, "/images/prune"):
			t.Errorf("%s %s: regprune never prunes images (prune -a strips tags of images in use)", r.Method, r.URL)
		case r.Method == http.MethodDelete && strings.Contains(r.URL.Path, "/images/") && (q.Get("force") == "1" || q.Get("force") == "true"):
			t.Errorf("%s %s: regprune never removes an image with force", r.Method, r.URL)
		case r.Method == http.MethodDelete && strings.Contains(r.URL.Path, "/containers/"):
			t.Errorf("%s %s: regprune never removes a container", r.Method, r.URL)
		}
	})
	return f
}

// repo returns a repository name under the fixture's prefix.
func (f *fixture) repo(name string) string { return f.prefix + "/" + name }

// cleanup removes the fixture's containers, then every image it created
// or that carries a reference under its prefix. Force is fine here: these
// are the test's own images.
func (f *fixture) cleanup() {
	ctx := context.Background()
	for _, c := range f.containers {
		f.raw.cli.ContainerRemove(ctx, c, client.ContainerRemoveOptions{Force: true})
	}
	list, err := f.raw.cli.ImageList(ctx, client.ImageListOptions{All: true})
	if err != nil {
		f.t.Logf("cleanup: listing images: %v", err)
		return
	}
	for _, s := range list.Items {
		mine := f.images[s.ID]
		for _, r := range append(append([]string{}, s.RepoTags...), s.RepoDigests...) {
			mine = mine || strings.Contains(r, f.prefix+"/")
		}
		if mine {
			f.raw.cli.ImageRemove(ctx, s.ID, client.ImageRemoveOptions{Force: true, PruneChildren: true})
		}
	}
}

// load builds a small random image created at created and loads it
// through the engine's API with the given references. It returns the
// image ID.
func (f *fixture) load(created time.Time, refs ...string) string {
	f.t.Helper()
	img, err := seed.Image(created, seed.Docker(), seed.WithLayerSize(4096))
	if err != nil {
		f.t.Fatal(err)
	}
	return f.loadImage(img, refs...)
}

func (f *fixture) loadImage(img v1.Image, refs ...string) string {
	f.t.Helper()
	m := map[name.Reference]v1.Image{}
	for _, r := range refs {
		ref, err := name.ParseReference(r)
		if err != nil {
			f.t.Fatal(err)
		}
		m[ref] = img
	}
	var buf bytes.Buffer
	if len(m) == 0 {
		ref, _ := name.ParseReference(f.repo("untagged:tmp"))
		m[ref] = img
	}
	if err := tarball.MultiRefWrite(m, &buf); err != nil {
		f.t.Fatal(err)
	}
	cfg, err := img.ConfigName()
	if err != nil {
		f.t.Fatal(err)
	}
	f.mu.Lock()
	f.images[cfg.String()] = true
	f.mu.Unlock()
	res, err := f.e.cli.ImageLoad(context.Background(), &buf)
	if err != nil {
		f.t.Fatalf("loading image: %v", err)
	}
	out, _ := io.ReadAll(res)
	res.Close()
	if bytes.Contains(out, []byte(`"error"`)) {
		f.t.Fatalf("loading image: %s", out)
	}
	if len(refs) == 0 {
		// Another image takes the tag over, leaving this one dangling
		// (removing its last tag would remove it).
		f.load(time.Time{}, f.repo("untagged:tmp"))
	}
	return cfg.String()
}

func (f *fixture) tag(src, dst string) {
	f.t.Helper()
	if _, err := f.e.cli.ImageTag(context.Background(), client.ImageTagOptions{Source: src, Target: dst}); err != nil {
		f.t.Fatalf("tagging %s as %s: %v", src, dst, err)
	}
}

func (f *fixture) untag(ref string) {
	f.t.Helper()
	if _, err := f.raw.cli.ImageRemove(context.Background(), ref, client.ImageRemoveOptions{}); err != nil {
		f.t.Fatalf("untagging %s: %v", ref, err)
	}
}

// createContainer creates (does not start) a container from image.
func (f *fixture) createContainer(image string) string {
	f.t.Helper()
	name := f.prefix + "-c" + string(rune('0'+len(f.containers)))
	res, err := f.e.cli.ContainerCreate(context.Background(), client.ContainerCreateOptions{
		Name:   name,
		Config: &container.Config{Image: image, Cmd: []string{"/nonexistent"}},
	})
	if err != nil {
		f.t.Fatalf("creating container from %s: %v", image, err)
	}
	f.containers = append(f.containers, res.ID)
	return name
}

// exists reports whether ref (a reference or an image ID) is known to
// the engine.
func (f *fixture) exists(ref string) bool {
	f.t.Helper()
	_, err := f.e.cli.ImageInspect(context.Background(), ref)
	return err == nil
}

// rules compiles a local.docker section.
func rules(t *testing.T, dc retention.DockerCache, minAge time.Duration) retention.DockerRules {
	t.Helper()
	cfg := retention.Config{MinAge: retention.Duration(minAge), Local: &retention.Local{Docker: &dc}}
	r, err := cfg.Compile()
	if err != nil {
		t.Fatalf("compiling rules: %v", err)
	}
	return *r.Local.Docker
}

// decisions returns "repo:tag" -> action for every tag of the plan.
func decisions(cp retention.CachePlan) map[string]retention.Action {
	out := map[string]retention.Action{}
	for _, rp := range cp.Repositories {
		for _, td := range rp.Tags {
			out[rp.Repository+":"+td.Tag] = td.Action
		}
	}
	return out
}

func tagDecision(t *testing.T, cp retention.CachePlan, repo, tag string) retention.TagDecision {
	t.Helper()
	for _, rp := range cp.Repositories {
		if rp.Repository != repo {
			continue
		}
		for _, td := range rp.Tags {
			if td.Tag == tag {
				return td
			}
		}
	}
	t.Fatalf("no decision for %s:%s in %+v", repo, tag, cp.Repositories)
	return retention.TagDecision{}
}

// deletionsOf returns the deletions of the plan for image id.
func deletionsOf(cp retention.CachePlan, id string) []retention.Deletion {
	var out []retention.Deletion
	for _, rp := range cp.Repositories {
		for _, d := range rp.Deletions {
			if d.Digest == id {
				out = append(out, d)
			}
		}
	}
	return out
}

func noFailures(t *testing.T, cp retention.CachePlan) {
	t.Helper()
	if cp.Error != "" {
		t.Fatalf("cache error: %s", cp.Error)
	}
	for _, rp := range cp.Repositories {
		for _, d := range rp.Deletions {
			if d.Status == retention.StatusFailed {
				t.Errorf("deletion of %s %v failed: %s", d.Digest, d.Tags, d.Error)
			}
		}
	}
}
