package planner_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/planner"
	"github.com/regprune/regprune/retention/registry/oci"
)

// TestPlanExpandsGlobs: a glob lists the catalog, exclude removes
// repositories, and a catalog that cannot be listed is a failed entry
// named by its pattern while the rest is planned.
func TestPlanExpandsGlobs(t *testing.T) {
	t.Parallel()
	reg := registrytest.StartDistribution(t)
	ctx := context.Background()
	now := time.Now()
	for _, name := range []string{"acme/api", "acme/web-a", "acme/web-legacy", "acme/deep/nested", "other/x"} {
		if _, err := seed.History(ctx, reg.Repo(name), []seed.Entry{{Tag: "v1.0.0", Created: now.Add(-time.Hour)}}); err != nil {
			t.Fatal(err)
		}
	}
	cfg := retention.Config{Policies: []retention.Policy{{
		Name:         "p",
		Repositories: []string{reg.Repo("acme/*"), reg.Repo("acme/**/nested"), "127.0.0.1:1/gone/*"},
		Exclude:      []string{reg.Repo("acme/web-legacy")},
		Keep:         []retention.KeepRule{{Semver: &retention.SemverRule{Highest: 1}}},
	}}}
	rules, err := cfg.Compile()
	if err != nil {
		t.Fatal(err)
	}
	client := newClient(t, nil, oci.WithRetry(0, time.Millisecond, time.Millisecond, time.Second))
	p := planner.Plan(ctx, client, rules, now, planner.Options{})
	got := map[string]bool{}
	for _, rp := range p.Repositories {
		got[rp.Repository] = rp.Error != ""
	}
	want := map[string]bool{
		reg.Repo("acme/api"): false, reg.Repo("acme/web-a"): false, reg.Repo("acme/deep/nested"): false,
		"127.0.0.1:1/gone/*": true,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("repositories planned (name -> failed) (-want +got):\n%s", diff)
	}
	if p.Summary.Failed != 1 {
		t.Errorf("summary: %d failed, want 1", p.Summary.Failed)
	}
}

// newClient is oci.New for tests: an option it refuses fails the
// test.
func newClient(t testing.TB, regs []retention.Registry, opts ...oci.Option) *oci.Client {
	t.Helper()
	c, err := oci.New(regs, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
