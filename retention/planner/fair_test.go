package planner_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/planner"
	"github.com/regprune/regprune/retention/registry/oci"
)

// TestSlowRepositoryGetsFairShare: one repository answering slowly must
// not take every request slot while the other repositories wait (with
// first come, first served, each slot it takes stays taken for as long
// as it answers, until it holds them all). Observed at the proxy, not
// timed.
func TestSlowRepositoryGetsFairShare(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reg := registrytest.InMemory(t, false)
	proxy := registrytest.NewProxy(t, reg)
	now := time.Now()
	var slowTags []seed.Entry
	for i := range 24 {
		slowTags = append(slowTags, seed.Entry{Tag: fmt.Sprintf("v%d", i), Created: now.Add(-time.Duration(i+1) * time.Hour)})
	}
	if _, err := seed.History(ctx, reg.Repo("fast-15-slow"), slowTags); err != nil {
		t.Fatal(err)
	}
	repos := []string{proxy.Repo("fast-15-slow")}
	for i := range 60 {
		name := fmt.Sprintf("fast-%02d", i)
		var tags []seed.Entry
		for j := range 3 {
			tags = append(tags, seed.Entry{Tag: fmt.Sprintf("t%d", j), Created: now.Add(-time.Duration(j+1) * time.Hour)})
		}
		if _, err := seed.History(ctx, reg.Repo(name), tags); err != nil {
			t.Fatal(err)
		}
		repos = append(repos, proxy.Repo(name))
	}
	proxy.Before(func(r *http.Request) {
		if registrytest.RepositoryOf(r) == "fast-15-slow" && registrytest.Classify(r) != registrytest.KindTags {
			time.Sleep(500 * time.Millisecond)
		}
	})
	cfg := retention.Config{Policies: []retention.Policy{{
		Name: "p", Repositories: repos,
		Keep: []retention.KeepRule{{Newest: 1}},
	}}}
	rules, err := cfg.Compile()
	if err != nil {
		t.Fatal(err)
	}
	proxy.Reset()
	client := newClient(t, nil, oci.WithConcurrency(8))
	p := planner.Plan(ctx, client, rules, now, planner.Options{})
	if p.Summary.Failed != 0 {
		t.Fatalf("%d repositories failed", p.Summary.Failed)
	}
	// At each arrival of a request of the slow repository while other
	// repositories' requests were being answered, how many of its own
	// were in flight. First come, first served let it take a fifth to
	// all of the 8 slots there; with the share capped it gets a slot only
	// while it holds fewer than 8 divided by the repositories active.
	hist := map[int]int{}
	over := 0
	for _, r := range proxy.Requests() {
		if r.Repository != "fast-15-slow" {
			continue
		}
		others := 0
		for repo, n := range r.InFlight {
			if repo != "fast-15-slow" && repo != "" {
				others += n
			}
		}
		if others == 0 {
			continue
		}
		hist[r.InFlight["fast-15-slow"]]++
		if r.InFlight["fast-15-slow"] > 4 {
			over++
		}
	}
	t.Logf("the slow repository's requests in flight at its arrivals while others were answered (in flight: arrivals): %v", hist)
	if over > 1 {
		t.Errorf("%d requests of the slow repository arrived while it held more than half of the 8 slots and other repositories had requests in flight, want at most 1", over)
	}
}
