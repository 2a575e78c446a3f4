package job_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/execute"
	"github.com/regprune/regprune/retention/job"
	"github.com/regprune/regprune/retention/registry/oci"
	"github.com/regprune/regprune/retention/state"
)

// BenchmarkApply20x100 applies retention to 20 repositories of 100 tags
// each (keep the newest 10) on the real Distribution registry, behind a
// proxy that adds 20 ms to every request, at concurrency 8, as
// `regprune apply` does (a plan, then its execution, with a state
// directory), and then plans once more. It reports the requests of the
// apply against the lower bound of 5,821, and what the second plan read.
func BenchmarkApply20x100(b *testing.B) {
	b.StopTimer()
	for range b.N {
		s := newScale(b, 20*time.Millisecond)
		b.StartTimer()
		out := s.apply()
		b.StopTimer()
		s.check(out)
		applied := len(s.proxy.Requests())
		counts := s.proxy.Counts()
		s.proxy.Reset()
		again, err := oci.New(s.cfg.Registries, oci.WithConcurrency(8), oci.WithCache(s.store))
		if err != nil {
			b.Fatal(err)
		}
		job.Plan(context.Background(), again, s.o)
		second := s.proxy.Counts()
		b.ReportMetric(float64(applied), "requests/apply")
		b.ReportMetric(float64(applied)/scaleBound, "x-lower-bound")
		b.ReportMetric(float64(second["GET "+string(registrytest.KindManifestTag)]+second["GET "+string(registrytest.KindManifestDigest)]), "manifest-GETs/second-plan")
		b.ReportMetric(float64(second["GET "+string(registrytest.KindBlob)]), "blob-GETs/second-plan")
		b.Logf("apply: %v", counts)
		b.Logf("second plan: %v", second)
	}
}

// TestApplyRequestCount20x100: the requests of a cold `regprune apply`
// (a plan, then its execution through the gate, with an empty state
// directory) on 20 repositories of 100 tags, keep the newest 10, stay
// within 1.40 times the lower bound of 5,821: the gate's fresh plan of
// each repository takes the plan's read when it is younger than
// verifyWindow, else resolves every tag with one HEAD (the plan cached
// the manifests and configs by digest), and once more when that read
// ages past the window while the repository deletes. The figure varies
// with the machine's speed (how many plan reads are still young): 7,096
// requests (1.22x) in one run on the 2-core machine.
func TestApplyRequestCount20x100(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 2,000 images")
	}
	s := newScale(t, 0)
	out := s.check(s.apply())
	n := len(s.proxy.Requests())
	t.Logf("cold apply of 20x100: %d requests, %.3fx the lower bound of %d: %v", n, float64(n)/scaleBound, scaleBound, s.proxy.Counts())
	if float64(n) > 1.40*scaleBound {
		t.Errorf("%d requests, more than 1.40x the lower bound %d", n, scaleBound)
	}
	// A plan's read that ages past the window while its repository
	// deletes costs one more round; no request relies on an older one.
	for _, rp := range out.Repositories {
		if g := rp.Gate; g == nil || g.Rounds < 1 || g.Rounds > 2 || time.Duration(g.LargestWindow) >= execute.DefaultVerifyWindow {
			t.Errorf("%s: gate %+v, want one or two rounds, every request within the window", rp.Repository, rp.Gate)
		}
	}
}

// scaleBound is the naive lower bound of requests for the 20x100 case:
// per repository one tag list, per tag a manifest GET and its config
// blob, per deleted manifest a DELETE, and one ping.
const scaleBound = 5821

// scale is the 20x100 case: Distribution behind a counting proxy that
// adds delay to each request, a state directory, and the job options.
type scale struct {
	tb     testing.TB
	proxy  *registrytest.Proxy
	cfg    *retention.Config
	store  *state.Store
	client *oci.Client
	o      job.Options
}

func newScale(tb testing.TB, delay time.Duration) *scale {
	tb.Helper()
	const repos, tags = 20, 100
	reg := registrytest.StartDistribution(tb)
	proxy := registrytest.NewProxy(tb, reg)
	now := time.Now()
	var names []string
	for r := 0; r < repos; r++ {
		var entries []seed.Entry
		for i := 0; i < tags; i++ {
			entries = append(entries, seed.Entry{Tag: fmt.Sprintf("b%03d", i), Created: now.Add(-time.Duration(tags-i) * time.Hour * 24)})
		}
		name := fmt.Sprintf("team/app%02d", r)
		if _, err := seed.History(context.Background(), reg.Repo(name), entries); err != nil {
			tb.Fatal(err)
		}
		names = append(names, proxy.Repo(name))
	}
	cfg := &retention.Config{
		Concurrency: 8,
		Registries:  []retention.Registry{{Host: proxy.Host, Insecure: true}},
		Policies:    []retention.Policy{{Repositories: names, Keep: []retention.KeepRule{{Newest: 10}}}},
	}
	rules, err := cfg.Compile()
	if err != nil {
		tb.Fatal(err)
	}
	store, _, err := state.Open(tb.TempDir(), time.Second)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	if delay > 0 {
		proxy.Before(func(*http.Request) { time.Sleep(delay) })
	}
	client, err := oci.New(cfg.Registries, oci.WithConcurrency(8), oci.WithDeleteScope(), oci.WithCache(store))
	if err != nil {
		tb.Fatal(err)
	}
	o := job.Options{Rules: rules, Concurrency: 8, Scope: job.ScopeRemote, Journal: store, Recorder: store, RunID: "bench"}
	proxy.Reset()
	return &scale{tb: tb, proxy: proxy, cfg: cfg, store: store, client: client, o: o}
}

// apply plans and applies, as `regprune apply` does: the plan's reads
// serve the gate while they are younger than the window.
func (s *scale) apply() *retention.Plan {
	o := s.o
	o.Reads = job.NewReads()
	p := job.Plan(context.Background(), s.client, o)
	return job.Apply(context.Background(), s.client, p, false, o)
}

// check fails unless every planned deletion was carried out.
func (s *scale) check(out *retention.Plan) *retention.Plan {
	if out.Summary.Deleted != 20*90 || out.Summary.DeletionsFailed != 0 {
		s.tb.Fatalf("apply: %+v", out.Summary)
	}
	return out
}
