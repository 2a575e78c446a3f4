package planner_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/planner"
)

func TestParseShard(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "1", "4/4", "-1/4", "a/b", "0/0"} {
		if _, err := planner.ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) succeeded", bad)
		}
	}
	if s, err := planner.ParseShard("3/4"); err != nil || s != (planner.Shard{Index: 3, Count: 4}) {
		t.Errorf("ParseShard(3/4) = %v, %v", s, err)
	}
}

// TestShardsPartition: every name belongs to exactly one shard.
func TestShardsPartition(t *testing.T) {
	t.Parallel()
	for n := 1; n <= 7; n++ {
		counts := make([]int, n)
		for i := 0; i < 2000; i++ {
			name := fmt.Sprintf("registry.example.com/team-%d/app-%d", i%37, i)
			owners := 0
			for s := 0; s < n; s++ {
				if (planner.Shard{Index: s, Count: n}).Owns(name) {
					owners++
					counts[s]++
				}
			}
			if owners != 1 {
				t.Fatalf("%s is owned by %d of %d shards", name, owners, n)
			}
		}
		for s, c := range counts {
			if c < 2000/n/2 {
				t.Errorf("shard %d/%d owns only %d of 2000 names", s, n, c)
			}
		}
	}
}

// TestShardUnion: N shards together plan exactly what one process plans,
// with no repository in two shards, and every deletion of a repository in
// the shard that owns it.
func TestShardUnion(t *testing.T) {
	t.Parallel()
	reg := registrytest.InMemory(t, false)
	ctx := context.Background()
	now := time.Now()
	for i := 0; i < 12; i++ {
		entries := []seed.Entry{
			{Tag: "v1.0.0", Created: now.Add(-48 * time.Hour)},
			{Tag: "v1.1.0", Created: now.Add(-24 * time.Hour)},
			{Tag: "main-1", Created: now.Add(-72 * time.Hour)},
		}
		if _, err := seed.History(ctx, reg.Repo(fmt.Sprintf("team/app-%d", i)), entries); err != nil {
			t.Fatal(err)
		}
	}
	cfg := retention.Config{Policies: []retention.Policy{{
		Name: "p", Repositories: []string{reg.Repo("team/*")},
		Keep: []retention.KeepRule{{Semver: &retention.SemverRule{Highest: 1}}},
	}}}
	rules, err := cfg.Compile()
	if err != nil {
		t.Fatal(err)
	}
	client := newClient(t, nil)
	whole := planner.Plan(ctx, client, rules, now, planner.Options{})
	if len(whole.Repositories) != 12 {
		t.Fatalf("one process planned %d repositories, want 12", len(whole.Repositories))
	}
	const n = 3
	union := map[string]retention.RepoPlan{}
	for s := 0; s < n; s++ {
		p := planner.Plan(ctx, client, rules, now, planner.Options{Shard: planner.Shard{Index: s, Count: n}})
		for _, rp := range p.Repositories {
			if _, dup := union[rp.Repository]; dup {
				t.Errorf("%s is planned by two shards", rp.Repository)
			}
			union[rp.Repository] = rp
		}
	}
	want := map[string]retention.RepoPlan{}
	for _, rp := range whole.Repositories {
		want[rp.Repository] = rp
	}
	if diff := cmp.Diff(want, union); diff != "" {
		t.Errorf("the union of %d shards differs from one process (-want +got):\n%s", n, diff)
	}
}

// TestPlanWarnsUnmatched: a glob with a typo is a warning in every shard
// (the expansion is the whole run's), a keep rule's selector that matches
// no tag is judged on each shard's own repositories and says its shard,
// and a literal repository another shard owns is no warning. Each
// warning is logged too.
func TestPlanWarnsUnmatched(t *testing.T) {
	t.Parallel()
	reg := registrytest.InMemory(t, false)
	ctx := context.Background()
	now := time.Now()
	for i := 0; i < 6; i++ {
		if _, err := seed.History(ctx, reg.Repo(fmt.Sprintf("team/app-%d", i)), []seed.Entry{{Tag: "stable", Created: now.Add(-48 * time.Hour)}}); err != nil {
			t.Fatal(err)
		}
	}
	cfg := retention.Config{Policies: []retention.Policy{
		{Name: "typo", Repositories: []string{reg.Repo("newusr/*")}, Keep: []retention.KeepRule{{Newest: 1}}},
		{Name: "selector", Repositories: []string{reg.Repo("team/*")}, Keep: []retention.KeepRule{{Newest: 1}, {Tags: []string{"stabel"}}}},
		{Name: "literal", Repositories: []string{reg.Repo("team/app-0")}, Keep: []retention.KeepRule{{Newest: 1}}},
	}}
	rules, err := cfg.Compile()
	if err != nil {
		t.Fatal(err)
	}
	client := newClient(t, nil)
	type got struct{ Policy, Key, Shard string }
	var logs bytes.Buffer
	whole := planner.Plan(ctx, client, rules, now, planner.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	var ws []got
	for _, w := range whole.Warnings {
		ws = append(ws, got{w.Policy, w.Key, w.Shard})
	}
	want := []got{{"typo", "policies[0].repositories", ""}, {"selector", "policies[1].keep[1].tags", ""}}
	if diff := cmp.Diff(want, ws); diff != "" {
		t.Errorf("one process's warnings (-want +got):\n%s", diff)
	}
	for _, w := range whole.Warnings {
		if !strings.Contains(logs.String(), "level=WARN msg="+strconv.Quote(w.Message)) {
			t.Errorf("warning %q not logged:\n%s", w.Message, logs.String())
		}
	}
	const n = 3
	for s := 0; s < n; s++ {
		shard := planner.Shard{Index: s, Count: n}
		p := planner.Plan(ctx, client, rules, now, planner.Options{Shard: shard})
		ws = nil
		for _, w := range p.Warnings {
			ws = append(ws, got{w.Policy, w.Key, w.Shard})
		}
		want := []got{{"typo", "policies[0].repositories", ""}}
		if len(p.Repositories) > 0 {
			want = append(want, got{"selector", "policies[1].keep[1].tags", shard.String()})
		}
		if diff := cmp.Diff(want, ws); diff != "" {
			t.Errorf("shard %s (%d repositories): warnings (-want +got):\n%s", shard, len(p.Repositories), diff)
		}
	}
}
