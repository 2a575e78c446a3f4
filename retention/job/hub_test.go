package job_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/apis"
	"github.com/regprune/regprune/retention/job"
	"github.com/regprune/regprune/retention/registry"
	"github.com/regprune/regprune/retention/registry/oci"
)

// hubConfig is a dockerhub registry on the emulator h and, when repo is
// set, a policy keeping its 5 newest tags by push time.
func hubConfig(h *registrytest.Hub, repo string) *retention.Config {
	cfg := &retention.Config{
		Registries: []retention.Registry{{Host: h.Host, Insecure: true, API: apis.DockerHub, Settings: map[string]any{"apiURL": h.APIURL}, Username: "acme", Password: "dckr_pat_test"}},
	}
	if repo != "" {
		cfg.Policies = []retention.Policy{{Repositories: []string{repo}, Clock: retention.ClockPushed, Keep: []retention.KeepRule{{Newest: 5}}}}
	}
	return cfg
}

// hubRouter is a fresh Router (nothing read yet) for cfg; the registry
// client does not retry, so a 429 shows.
func hubRouter(t *testing.T, cfg *retention.Config) *registry.Router {
	t.Helper()
	oci, err := oci.New(cfg.Registries, oci.WithRetry(0, time.Millisecond, time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	r, err := job.NewRouter(cfg, oci, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// pushTags pushes 60 tags t00…t59, pushed an hour apart (t59 newest),
// spread over images distinct images (60/images tags each, in push
// order), and returns each tag's digest.
func pushTags(t *testing.T, h *registrytest.Hub, repo string, images int, now time.Time) map[string]string {
	t.Helper()
	var imgs []v1.Image
	for range images {
		img, err := random.Image(64, 1)
		if err != nil {
			t.Fatal(err)
		}
		imgs = append(imgs, img)
	}
	digests := map[string]string{}
	for i := range 60 {
		tag := fmt.Sprintf("t%02d", i)
		img := imgs[i*images/60]
		r, _ := name.ParseReference(repo+":"+tag, name.Insecure)
		if err := remote.Write(r, img); err != nil {
			t.Fatal(err)
		}
		d, _ := img.Digest()
		digests[tag] = d.String()
		h.SetTimes("acme", "app", tag, now.Add(-time.Duration(60-i)*time.Hour), time.Time{})
	}
	return digests
}

// manifestGETs returns the digests or tags of the manifest GETs among
// reqs, and whether any request was answered 429.
func manifestGETs(reqs []registrytest.HubRequest) (refs []string, limited bool) {
	for _, r := range reqs {
		limited = limited || r.Status == http.StatusTooManyRequests
		if r.Side == "registry" && r.Method == http.MethodGet {
			if _, ref, ok := strings.Cut(r.Path, "/manifests/"); ok {
				refs = append(refs, ref)
			}
		}
	}
	return refs, limited
}

// TestHubPullBudget is finding 6 of issue 22 on the path users take
// (job.Plan and job.Apply through the Router), on the Hub emulator: 60
// tags, keep the 5 newest images by push time, a pull limit of 10. The plan
// reads no manifest it keeps (the tag list gives media types, children
// and digests), and reads each one it deletes (a pull); apply reads
// nothing more when it deletes within the budget, and when the budget
// cannot cover the reads it deletes nothing, the repository failing
// with the pulls remaining and the reads needed (exit 1). No request is
// ever answered 429.
func TestHubPullBudget(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	for _, tc := range []struct {
		name string
		// images the 60 tags are spread over (60/images tags each):
		// newest: 5 keeps the 5 newest images.
		images int
		// spent: pulls other clients use between plan and apply, which
		// then applies the plan saved, in a fresh process (Router).
		spent int
		// deleted: manifests apply deletes; wantErr: in the repository's
		// error, when the budget does not cover the reads.
		deleted int
		wantErr []string
	}{
		{name: "within the budget", images: 12, deleted: 7},
		{name: "over the budget at plan", images: 60, wantErr: []string{"55 reads, 55 of them pulls", "10 pulls remaining", "nothing is deleted there"}},
		{name: "budget spent before a saved plan is applied", images: 12, spent: 1, wantErr: []string{"7 reads, 7 of them pulls", "2 pulls remaining", "nothing is deleted there"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := registrytest.NewHub(t, registrytest.WithHubPullLimit(10))
			repo := h.Repo("acme", "app")
			digests := pushTags(t, h, repo, tc.images, now)
			kept := map[string]bool{}
			var keptTags []string
			for i := 60 - 5*60/tc.images; i < 60; i++ {
				kept[digests[fmt.Sprintf("t%02d", i)]] = true
				keptTags = append(keptTags, fmt.Sprintf("t%02d", i))
			}
			cfg := hubConfig(h, repo)
			rules, err := cfg.Compile()
			if err != nil {
				t.Fatal(err)
			}
			o := job.Options{Rules: rules, Now: now}
			router := hubRouter(t, cfg)

			before := len(h.Requests())
			p := job.Plan(ctx, router, o)
			read, limited := manifestGETs(h.Requests()[before:])
			for _, ref := range read {
				if kept[ref] || !strings.HasPrefix(ref, "sha256:") {
					t.Errorf("the plan read %s, which it keeps", ref)
				}
			}
			if limited {
				t.Error("planning hit Docker Hub's pull limit (429)")
			}

			saved := false
			if tc.spent > 0 {
				h.UsePulls(tc.spent)
				router, saved = hubRouter(t, cfg), true
			}
			before = len(h.Requests())
			out := job.Apply(ctx, router, p, saved, o)
			applied, limited := manifestGETs(h.Requests()[before:])
			if limited {
				t.Error("apply hit Docker Hub's pull limit (429)")
			}
			rp := out.Repositories[0]
			if out.Summary.Deleted != tc.deleted {
				t.Errorf("deleted %d manifests, want %d: %+v", out.Summary.Deleted, tc.deleted, rp.Deletions)
			}
			if tc.wantErr == nil {
				if rp.Error != "" || out.Summary.Failed != 0 || out.Summary.DeletionsFailed != 0 {
					t.Fatalf("apply: %q, %+v", rp.Error, out.Summary)
				}
				// Each manifest deleted was pulled once, by the plan.
				if len(read) != tc.deleted || len(applied) != 0 || h.Pulls() != tc.deleted {
					t.Errorf("the plan pulled %v and apply %v (%d pulls in all); want each of the %d deleted manifests once, by the plan", read, applied, h.Pulls(), tc.deleted)
				}
				if tags := slices.Sorted(maps.Keys(h.Tags("acme", "app"))); !slices.Equal(tags, keptTags) {
					t.Errorf("tags left %v, want %v", tags, keptTags)
				}
				return
			}
			for _, want := range tc.wantErr {
				if !strings.Contains(rp.Error, want) {
					t.Errorf("the repository's error %q does not say %q", rp.Error, want)
				}
			}
			if out.Summary.Failed != 1 {
				t.Errorf("%d repositories failed, want 1 (exit 1)", out.Summary.Failed)
			}
			if len(applied) != 0 || (tc.spent == 0 && len(read) != 0) {
				t.Errorf("manifests pulled: %v by the plan, %v by apply; want none over the budget", read, applied)
			}
			if n := len(h.Tags("acme", "app")); n != 60 {
				t.Errorf("%d tags left, want all 60", n)
			}
		})
	}
}

// TestRouterDeepenGuard: the Router deepens a Docker Hub listing through
// the provider, so its pull-limit guard runs there: reads that would
// pass the limit fail with no manifest GET, and within it only the
// manifests asked for are read (the others as the tag list gives them).
func TestRouterDeepenGuard(t *testing.T) {
	ctx := context.Background()
	h, repo, all := hubWithImages(t, 3, 5)
	r := hubRouter(t, hubConfig(h, ""))
	l, err := r.List(ctx, repo, false, time.Now())
	if err != nil || !l.Shallow {
		t.Fatalf("list: shallow %v, %v", l.Shallow, err)
	}
	_, err = r.Deepen(ctx, l, all, time.Now())
	if !errors.Is(err, retention.ErrRateLimited) || !strings.Contains(err.Error(), "3 pulls remaining") {
		t.Errorf("deepening with 5 reads and 3 pulls left: %v, want the guard's refusal", err)
	}
	if got, _ := manifestGETs(h.Requests()); len(got) != 0 {
		t.Errorf("manifests pulled past the guard: %v", got)
	}
	d, err := r.Deepen(ctx, l, all[:2], time.Now())
	if err != nil || d.Shallow {
		t.Fatalf("deepening 2: shallow %v, %v", d.Shallow, err)
	}
	if got, _ := manifestGETs(h.Requests()); !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(all[:2]))) {
		t.Errorf("pulled %v, want %v alone", got, all[:2])
	}
	for _, dg := range all {
		if d.Manifests[dg].MediaType == "" {
			t.Errorf("%s has no media type after Deepen", dg)
		}
	}
}

// TestRouterReadBudget: on Docker Hub the Router tells the gate whether
// its reads fit the pulls remaining (one HEAD), leaving out manifests it
// read already; other registries have no budget.
func TestRouterReadBudget(t *testing.T) {
	ctx := context.Background()
	h, repo, all := hubWithImages(t, 4, 5)
	r := hubRouter(t, hubConfig(h, ""))
	for _, d := range all[:2] {
		if _, _, err := r.RawManifest(ctx, repo, d); err != nil {
			t.Fatal(err)
		}
	}
	err := r.ReadBudget(ctx, repo, all)
	for _, want := range []string{"reads 5 manifests first, 3 of them pulls (2 read already)", "2 pulls remaining"} {
		if !errors.Is(err, retention.ErrRateLimited) || !strings.Contains(err.Error(), want) {
			t.Errorf("5 reads, 2 of them done, 2 pulls left: %v; want it to say %q", err, want)
		}
	}
	if err := r.ReadBudget(ctx, repo, all[:4]); err != nil {
		t.Errorf("4 reads, 2 of them done, 2 pulls left: %v", err)
	}
	if err := r.ReadBudget(ctx, "oci.example/acme/app", all); err != nil {
		t.Errorf("a registry without a pull limit: %v", err)
	}
	if h.Pulls() != 2 {
		t.Errorf("%d pulls, want the 2 reads (the budget is read with HEAD)", h.Pulls())
	}
}

// TestHubIndexChildrenFromTagList: a Docker Hub index's children come
// from the tag list's images[], so neither the plan nor apply's gate
// reads the index that is kept; the one deleted is read with its
// children (each once) and goes with them.
func TestHubIndexChildrenFromTagList(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	h := registrytest.NewHub(t, registrytest.WithHubPullLimit(10))
	repo := h.Repo("acme", "app")
	old, oldChildren := registrytest.PushIndex(t, repo+":old")
	keep, keepChildren := registrytest.PushIndex(t, repo+":new")
	h.SetTimes("acme", "app", "old", now.Add(-48*time.Hour), time.Time{})
	h.SetTimes("acme", "app", "new", now.Add(-time.Hour), time.Time{})
	cfg := hubConfig(h, "")
	cfg.Policies = []retention.Policy{{Repositories: []string{repo}, Clock: retention.ClockPushed, Keep: []retention.KeepRule{{Newest: 1}}}}
	rules, err := cfg.Compile()
	if err != nil {
		t.Fatal(err)
	}
	o := job.Options{Rules: rules, Now: now}
	router := hubRouter(t, cfg)
	out := job.Apply(ctx, router, job.Plan(ctx, router, o), false, o)
	if s := out.Summary; s.Failed != 0 || s.DeletionsFailed != 0 || s.Deleted != 3 {
		t.Fatalf("apply: %q %+v %+v", out.Repositories[0].Error, s, out.Repositories[0].Deletions)
	}
	read, limited := manifestGETs(h.Requests())
	want := append([]string{old}, oldChildren...)
	if limited || !slices.Equal(slices.Sorted(slices.Values(read)), slices.Sorted(slices.Values(want))) {
		t.Errorf("pulled %v (a 429: %v), want the deleted index and its children once each: %v", read, limited, want)
	}
	for _, d := range append([]string{keep}, keepChildren...) {
		if ok, err := router.Exists(ctx, repo, d); !ok || err != nil {
			t.Errorf("%s of the kept index is gone: %v", d, err)
		}
	}
}

// hubWithImages starts a Hub emulator with a pull limit and pushes n
// images to acme/app (tags v0…), returning their digests.
func hubWithImages(t *testing.T, pullLimit, n int) (*registrytest.Hub, string, []string) {
	t.Helper()
	h := registrytest.NewHub(t, registrytest.WithHubPullLimit(pullLimit))
	repo := h.Repo("acme", "app")
	var all []string
	for i := range n {
		all = append(all, registrytest.PushImage(t, fmt.Sprintf("%s:v%d", repo, i)))
	}
	return h, repo, all
}
