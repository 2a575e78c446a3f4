package job_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/apis"
	"github.com/regprune/regprune/retention/job"
)

const scaleToken = "ghp_scale"

// ghcrPackage starts an emulator holding one package, acme/app, of n
// versions, each its own image (its own config), pushed a second apart;
// every other version is tagged.
func ghcrPackage(tb testing.TB, n int) *registrytest.GHCR {
	tb.Helper()
	var tick atomic.Int64
	start := time.Now().Add(-time.Duration(n) * time.Second)
	clock := func() time.Time { return start.Add(time.Duration(tick.Add(1)) * time.Millisecond) }
	g := registrytest.NewGHCR(tb, registrytest.WithGHCROrg("acme"), registrytest.WithGHCRClock(clock),
		registrytest.WithGHCRToken(scaleToken, "octo", registrytest.TokenClassic, "read:packages", "write:packages", "delete:packages"))
	repo := g.Repo("acme", "app")
	pusher, err := remote.NewPusher(remote.WithAuth(&authn.Basic{Username: "octo", Password: scaleToken}))
	if err != nil {
		tb.Fatal(err)
	}
	var wg sync.WaitGroup
	var failed atomic.Value
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				img, err := mutate.CreatedAt(empty.Image, v1.Time{Time: start.Add(time.Duration(i) * time.Second)})
				if err != nil {
					failed.Store(err)
					return
				}
				d, _ := img.Digest()
				ref := repo + "@" + d.String()
				if i%2 == 0 {
					ref = fmt.Sprintf("%s:v%d", repo, i)
				}
				r, _ := name.ParseReference(ref, name.Insecure)
				if err := pusher.Push(context.Background(), r, img); err != nil {
					failed.Store(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		tb.Fatal(err)
	}
	return g
}

// counts are the requests a plan sent, by what they read.
type counts struct {
	pages, manifests, blobs, other int
}

func countRequests(g *registrytest.GHCR) counts {
	var c counts
	for _, r := range g.Requests() {
		switch {
		case r.Side == "rest" && strings.HasSuffix(r.Path, "/versions"):
			c.pages++
		case r.Side == "oci" && strings.Contains(r.Path, "/manifests/"):
			c.manifests++
		case r.Side == "oci" && strings.Contains(r.Path, "/blobs/"):
			c.blobs++
		case r.Side == "oci" && (r.Path == "/v2/" || r.Path == "/token"):
		default:
			c.other++
		}
	}
	return c
}

// planGHCR plans acme/app with a policy (YAML flow mapping) and returns
// the plan and the requests it took.
func planGHCR(tb testing.TB, g *registrytest.GHCR, policy string) (*retention.Plan, counts) {
	tb.Helper()
	cfg := &retention.Config{
		Registries: []retention.Registry{{Host: g.Host, Insecure: true, API: apis.GitHub, Settings: map[string]any{"apiURL": g.APIURL}, Username: "octo", Password: scaleToken}},
	}
	switch policy {
	case "created":
		cfg.Policies = []retention.Policy{{Repositories: []string{g.Repo("acme", "app")}, Keep: []retention.KeepRule{{Newest: 10}}}}
	case "pushed, nothing to delete":
		cfg.Policies = []retention.Policy{{Repositories: []string{g.Repo("acme", "app")}, Clock: retention.ClockPushed, Keep: []retention.KeepRule{{YoungerThan: retention.Duration(100 * 24 * time.Hour)}}}}
	case "pushed":
		cfg.Policies = []retention.Policy{{Repositories: []string{g.Repo("acme", "app")}, Clock: retention.ClockPushed, Keep: []retention.KeepRule{{Newest: 10}}}}
	}
	rules, _, r := routed(tb, cfg)
	g.ResetRequests()
	p := job.Plan(context.Background(), r, job.Options{Rules: rules, Concurrency: 8, Scope: job.ScopeRemote})
	if p.Summary.Failed != 0 {
		tb.Fatalf("the plan failed: %+v", p.Repositories)
	}
	return p, countRequests(g)
}

// TestGHCRPlanRequests counts what planning a package of 250 versions
// (125 tagged) sends: 3 pages of versions; with the created clock one
// manifest and one config per digest whose time a rule needs, with
// clock: pushed no reads at all, unless something is to be deleted,
// when each manifest is read once (for index children and subjects) and
// no config.
func TestGHCRPlanRequests(t *testing.T) {
	const n = 250
	g := ghcrPackage(t, n)
	for _, tc := range []struct {
		policy                  string
		manifests, blobs, other int
		deletions               bool
	}{
		// other: the one lookup of the owner (GET /users/acme).
		{"created", n, n / 2, 1, true},
		{"pushed, nothing to delete", 0, 0, 1, false},
		{"pushed", n, 0, 1, true},
	} {
		p, c := planGHCR(t, g, tc.policy)
		if c.pages != 3 || c.manifests != tc.manifests || c.blobs != tc.blobs || c.other != tc.other {
			t.Errorf("%s: %+v, want 3 pages, %d manifests, %d blobs, %d other", tc.policy, c, tc.manifests, tc.blobs, tc.other)
		}
		if got := p.Summary.Delete > 0; got != tc.deletions {
			t.Errorf("%s: %d deletions planned", tc.policy, p.Summary.Delete)
		}
	}
}

// BenchmarkPlanGHCR10k plans one package of 10,000 versions (5,000
// tagged) on the GHCR emulator and reports the requests per plan.
func BenchmarkPlanGHCR10k(b *testing.B) {
	g := ghcrPackage(b, 10000)
	for _, policy := range []string{"created", "pushed, nothing to delete", "pushed"} {
		b.Run(strings.ReplaceAll(strings.ReplaceAll(policy, ",", ""), " ", "-"), func(b *testing.B) {
			var c counts
			for b.Loop() {
				_, c = planGHCR(b, g, policy)
			}
			b.ReportMetric(float64(c.pages), "pages/op")
			b.ReportMetric(float64(c.manifests), "manifests/op")
			b.ReportMetric(float64(c.blobs), "configs/op")
			b.ReportMetric(float64(c.other), "other/op")
		})
	}
}
