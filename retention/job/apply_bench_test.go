package job_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/job"
	"github.com/regprune/regprune/retention/registry"
	"github.com/regprune/regprune/retention/registrytest"
	"github.com/regprune/regprune/retention/state"
)

// BenchmarkApply20x100 applies retention to 20 repositories of 100 tags
// each (keep the newest 10) on the real Distribution registry, behind a
// proxy that adds 20 ms to every request, at concurrency 8, as
// `regprune apply` does (a plan, then its execution, with a state
// directory), and then plans once more. It reports the requests of the
// apply against the lower bound of 5,821, and what the second plan read.
func BenchmarkApply20x100(b *testing.B) {
	const repos, tags, bound = 20, 100, 5821
	b.StopTimer()
	for range b.N {
		reg := registrytest.StartDistribution(b)
		proxy := registrytest.NewProxy(b, reg)
		now := time.Now()
		var names []string
		for r := 0; r < repos; r++ {
			var entries []seed.Entry
			for i := 0; i < tags; i++ {
				entries = append(entries, seed.Entry{Tag: fmt.Sprintf("b%03d", i), Created: now.Add(-time.Duration(tags-i) * time.Hour * 24)})
			}
			name := fmt.Sprintf("team/app%02d", r)
			if _, err := seed.History(context.Background(), reg.Repo(name), entries); err != nil {
				b.Fatal(err)
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
			b.Fatal(err)
		}
		store, _, err := state.Open(b.TempDir(), time.Second)
		if err != nil {
			b.Fatal(err)
		}
		proxy.Before(func(*http.Request) { time.Sleep(20 * time.Millisecond) })
		client, err := registry.New(cfg.Registries, registry.WithConcurrency(8), registry.WithDeleteScope(), registry.WithCache(store))
		if err != nil {
			b.Fatal(err)
		}
		o := job.Options{Rules: rules, Concurrency: 8, Scope: job.ScopeRemote, Journal: store, Recorder: store, RunID: "bench"}
		proxy.Reset()
		b.StartTimer()
		p := job.Plan(context.Background(), client, o)
		out := job.Apply(context.Background(), client, p, false, o)
		b.StopTimer()
		if out.Summary.Deleted != repos*(tags-10) || out.Summary.DeletionsFailed != 0 {
			b.Fatalf("apply: %+v", out.Summary)
		}
		applied := len(proxy.Requests())
		counts := proxy.Counts()
		proxy.Reset()
		again, err := registry.New(cfg.Registries, registry.WithConcurrency(8), registry.WithCache(store))
		if err != nil {
			b.Fatal(err)
		}
		job.Plan(context.Background(), again, o)
		second := proxy.Counts()
		store.Close()
		b.ReportMetric(float64(applied), "requests/apply")
		b.ReportMetric(float64(applied)/bound, "x-lower-bound")
		b.ReportMetric(float64(second["GET "+string(registrytest.KindManifestTag)]+second["GET "+string(registrytest.KindManifestDigest)]), "manifest-GETs/second-plan")
		b.ReportMetric(float64(second["GET "+string(registrytest.KindBlob)]), "blob-GETs/second-plan")
		b.Logf("apply: %v", counts)
		b.Logf("second plan: %v", second)
	}
}
