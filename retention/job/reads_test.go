package job_test

import (
	"context"
	"testing"
	"time"

	"github.com/regprune/regprune/internal/fakeclock"
	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/job"
	"github.com/regprune/regprune/retention/registry/oci"
)

// TestReadsServeTheGateOnce: apply takes the plan's read of a
// repository as the gate's first resolution while it is younger than
// verifyWindow (9.5 s: no tag is read again), and reads every tag again
// when it is older (10.5 s: a fresh plan of the repository, one manifest
// GET per tag without a cache). The window is measured from the
// listing's first request, on the gate's clock.
func TestReadsServeTheGateOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		age  time.Duration
		gets int
	}{{9500 * time.Millisecond, 0}, {10500 * time.Millisecond, 4}} {
		t.Run(tc.age.String(), func(t *testing.T) {
			t.Parallel()
			reg := registrytest.InMemory(t, false)
			proxy := registrytest.NewProxy(t, reg)
			repo := proxy.Repo("app")
			for _, tag := range []string{"v1", "v2", "v3", "v4"} {
				registrytest.PushImage(t, reg.Repo("app")+":"+tag)
			}
			cfg := &retention.Config{Registries: []retention.Registry{{Host: proxy.Host, Insecure: true}},
				Policies: []retention.Policy{{Repositories: []string{repo}, Keep: []retention.KeepRule{{Tags: []string{"v4"}}}}}}
			rules, err := cfg.Compile()
			if err != nil {
				t.Fatal(err)
			}
			client, err := oci.New(cfg.Registries, oci.WithDeleteScope())
			if err != nil {
				t.Fatal(err)
			}
			clock := fakeclock.New(time.Now())
			o := job.Options{Rules: rules, Scope: job.ScopeRemote, Clock: clock.Now, Reads: job.NewReads()}
			p := job.Plan(context.Background(), client, o)
			clock.Advance(tc.age)
			proxy.Reset()
			out := job.Apply(context.Background(), client, p, false, o)
			if out.Summary.Deleted != 3 {
				t.Fatalf("deleted %d, want v1..v3:\n%+v", out.Summary.Deleted, out.Repositories)
			}
			if got := proxy.Counts()["GET "+string(registrytest.KindManifestTag)]; got != tc.gets {
				t.Errorf("a read %s old: %d manifest GETs by tag at apply, want %d", tc.age, got, tc.gets)
			}
		})
	}
}
