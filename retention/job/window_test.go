package job_test

import (
	"context"
	"github.com/regprune/regprune/internal/fakeclock"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/apis"
	"github.com/regprune/regprune/retention/job"
)

// TestGHCRTagOnlyWindow is finding 3 of issue 22 on the path users
// take: the GitHub provider behind the Router, job.Plan, job.Apply. The
// plan removes pr-039 and pr-040 from a manifest that main keeps, which
// on GHCR is a placeholder PUT onto each tag. While pr-039's placeholder
// is pushed, CI pushes a new build as pr-040 and the gate's clock passes
// the window: the gate resolves every tag again before pr-040's PUT,
// sees pr-040 moved, and sends nothing, so the build keeps its tag.
func TestGHCRTagOnlyWindow(t *testing.T) {
	const tok = "ghp_classic"
	ctx := context.Background()
	g := registrytest.NewGHCR(t, registrytest.WithGHCROrg("acme"),
		registrytest.WithGHCRToken(tok, "octo", registrytest.TokenClassic, "read:packages", "write:packages", "delete:packages"))
	auth := remote.WithAuth(&authn.Basic{Username: "octo", Password: tok})
	repo := g.Repo("acme", "app")
	kept := registrytest.PushImage(t, repo+":main", auth)
	ref, err := name.ParseReference(repo+":main", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(ref, auth)
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range []string{"pr-039", "pr-040"} {
		if err := remote.Tag(ref.Context().Tag(tag), desc, auth); err != nil {
			t.Fatal(err)
		}
	}

	cfg := &retention.Config{
		Registries: []retention.Registry{{Host: g.Host, Insecure: true, API: apis.GitHub, Settings: map[string]any{"apiURL": g.APIURL}, Username: "octo", Password: retention.Secret(tok)}},
		Policies:   []retention.Policy{{Repositories: []string{repo}, Keep: []retention.KeepRule{{Tags: []string{"main"}}}}},
	}
	rules, _, router := routed(t, cfg)
	o := job.Options{Rules: rules, Scope: job.ScopeRemote}
	plan := job.Plan(ctx, router, o)
	if rp := plan.Repositories[0]; rp.Error != "" || len(rp.Deletions) != 1 || rp.Deletions[0].Kind != retention.KindTag ||
		!slices.Equal(rp.Deletions[0].Tags, []string{"pr-039", "pr-040"}) {
		t.Fatalf("plan: want one tag-only deletion of pr-039 then pr-040, got %+v (error %q)", rp.Deletions, rp.Error)
	}

	clock := fakeclock.New(time.Now())
	var (
		mu       sync.Mutex
		build    string
		pushErr  error
		buildRef = ref.Context().Tag("pr-040")
	)
	g.Before(func(side string, r *http.Request) {
		if side != "oci" || r.Method != http.MethodPut || !strings.HasSuffix(r.URL.Path, "/manifests/pr-039") {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if build != "" || pushErr != nil {
			return
		}
		// CI pushes a build as pr-040 while pr-039's placeholder goes up
		// (the hook runs before that PUT is answered), and the time that
		// passes in between is longer than the window.
		img, err := random.Image(256, 1)
		if err == nil {
			err = remote.Write(buildRef, img, auth)
		}
		if err != nil {
			pushErr = err
			return
		}
		d, _ := img.Digest()
		build = d.String()
		clock.Advance(13 * time.Second)
	})
	g.ResetRequests()
	o.Clock = clock.Now
	out := job.Apply(ctx, router, plan, false, o)
	g.Before(nil)

	mu.Lock()
	defer mu.Unlock()
	if pushErr != nil || build == "" {
		t.Fatalf("the CI push mid-apply: %v (pushed %q)", pushErr, build)
	}
	// The only PUT onto pr-040 is the CI build's own: no placeholder.
	puts := 0
	for _, req := range g.Requests() {
		if req.Side == "oci" && req.Method == http.MethodPut && strings.HasSuffix(req.Path, "/manifests/pr-040") {
			puts++
		}
	}
	if puts != 1 {
		t.Errorf("%d manifest PUTs onto pr-040, want 1 (the CI build's): a placeholder was pushed onto the new build's tag", puts)
	}
	got := map[string][]string{}
	for _, v := range g.Versions("acme", "app") {
		if v.DeletedAt.IsZero() {
			got[v.Digest] = v.Tags
		}
	}
	if !slices.Equal(got[build], []string{"pr-040"}) {
		t.Errorf("the CI build's tags: %v, want [pr-040] (versions %v)", got[build], got)
	}
	if !slices.Equal(got[kept], []string{"main"}) {
		t.Errorf("the kept manifest's tags: %v, want [main]: pr-039 goes, main stays", got[kept])
	}
	if len(got) != 2 {
		t.Errorf("%d active versions, want 2 (a placeholder left behind?): %v", len(got), got)
	}
	if d := out.Repositories[0].Deletions[0]; d.Status != retention.StatusDeleted || !slices.Equal(d.Tags, []string{"pr-039"}) || !strings.Contains(d.Reason, "pr-040 moved") {
		t.Errorf("the tag-only deletion: %s %v %q, want done for pr-039 alone, naming pr-040's move", d.Status, d.Tags, d.Reason)
	}
	if g := out.Repositories[0].Gate; g == nil || g.Rounds < 2 {
		t.Errorf("gate %+v, want a second round before pr-040's request", g)
	}
}
