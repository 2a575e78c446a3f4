package job_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/internal/registrytest/toy"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/job"
	"github.com/regprune/regprune/retention/registry"
	"github.com/regprune/regprune/retention/registry/oci"
)

// TestToyProvider: a registry with its own listing API plugs in with one
// Register line (retention/registry's "how to add a registry"): plan
// ranks by the push times its API gives, and apply deletes through it,
// past the gate, which keeps a manifest a kept tag moved onto.
func TestToyProvider(t *testing.T) {
	registry.Register(toy.API) // the one line outside the toy's package
	srv := toy.Start()
	t.Cleanup(srv.Close)
	repo := srv.Host + "/app"
	now := time.Now()
	digests := map[string]string{}
	for i, tag := range []string{"v1", "v2", "v3", "v4", "v5"} {
		d := registrytest.PushImage(t, repo+":"+tag)
		digests[tag] = d
		srv.SetPushed("app", d, now.Add(time.Duration(i-10)*24*time.Hour))
	}
	cfg := &retention.Config{
		Registries: []retention.Registry{{Host: srv.Host, Insecure: true, API: "toy"}},
		Policies:   []retention.Policy{{Repositories: []string{repo}, Clock: retention.ClockPushed, Keep: []retention.KeepRule{{Newest: 2}, {Tags: []string{"stable"}}}}},
	}
	rules, err := cfg.Compile()
	if err != nil {
		t.Fatal(err)
	}
	client, err := oci.New(cfg.Registries, oci.WithDeleteScope())
	if err != nil {
		t.Fatal(err)
	}
	router, err := job.NewRouter(cfg, client, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	o := job.Options{Rules: rules, Scope: job.ScopeRemote, Now: now}
	p := job.Plan(context.Background(), router, o)
	if got := p.Summary.Manifests; got != 3 {
		t.Fatalf("plan deletes %d manifests, want v1..v3: %+v", got, p.Repositories)
	}
	// A deploy pins stable onto v2 after the plan: the gate keeps it.
	retag(t, client, repo, "stable", digests["v2"])

	out := job.Apply(context.Background(), router, p, false, o)
	var deleted, skipped []string
	for _, d := range out.Repositories[0].Deletions {
		switch d.Status {
		case retention.StatusDeleted:
			deleted = append(deleted, d.Tags...)
		case retention.StatusSkipped:
			skipped = append(skipped, fmt.Sprintf("%v: %s", d.Tags, d.Reason))
		}
	}
	slices.Sort(deleted)
	if !slices.Equal(deleted, []string{"v1", "v3"}) || len(skipped) != 1 {
		t.Errorf("deleted %v, skipped %v; want v1 and v3 deleted, v2 kept by stable", deleted, skipped)
	}
	left, err := router.ListTags(context.Background(), repo)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(left)
	if want := []string{"stable", "v2", "v4", "v5"}; !slices.Equal(left, want) {
		t.Errorf("tags left %v, want %v", left, want)
	}
	if g := out.Repositories[0].Gate; g == nil || g.Rounds < 1 {
		t.Errorf("gate %+v: the deletions did not pass the gate", g)
	}
}

// retag points repo:tag at digest, as a deploy pipeline would.
func retag(t *testing.T, c *oci.Client, repo, tag, digest string) {
	t.Helper()
	raw, ct, err := c.RawManifest(context.Background(), repo, digest)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutManifest(context.Background(), repo, tag, ct, raw); err != nil {
		t.Fatal(err)
	}
}
