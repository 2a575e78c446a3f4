package planner_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/planner"
	"github.com/regprune/regprune/retention/registry/oci"
)

// semverRules keeps the highest version and the tags named bundle*; every
// other tag of repo is deleted. No rule needs time.
func semverRules(t *testing.T, repo string) *retention.Rules {
	t.Helper()
	cfg := retention.Config{Policies: []retention.Policy{{
		Name:         "p",
		Repositories: []string{repo},
		Keep: []retention.KeepRule{
			{Semver: &retention.SemverRule{Highest: 1}},
			{Tags: []string{"bundle*"}},
		},
	}}}
	rules, err := cfg.Compile()
	if err != nil {
		t.Fatal(err)
	}
	return rules
}

// deletionsByKind maps each deleted digest to its kind.
func deletionsByKind(rp retention.RepoPlan) map[string]retention.Kind {
	out := map[string]retention.Kind{}
	for _, d := range rp.Deletions {
		out[d.Digest] = d.Kind
	}
	return out
}

// TestPlanReferrers: on a registry with the referrers API, the referrers
// of a deleted image follow it (and theirs, one level down), but one that
// a kept index also lists stays; a referrers API that fails fails the
// repository.
func TestPlanReferrers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Now()
	reg := registrytest.InMemory(t, true)
	proxy := registrytest.NewProxy(t, reg)
	repo := reg.Repo("app")
	d, err := seed.History(ctx, repo, []seed.Entry{
		{Tag: "v1.0.0", Created: now.Add(-48 * time.Hour)},
		{Tag: "v2.0.0", Created: now.Add(-time.Hour)},
		{Tag: "sbom", Kind: seed.KindReferrer, Of: "v1.0.0"},
		{Tag: "sig-of-sbom", Kind: seed.KindReferrer, Of: "sbom", ArtifactType: "application/vnd.example.sig"},
	})
	if err != nil {
		t.Fatal(err)
	}
	// A referrer of v1.0.0 that the kept index "bundle" also lists: it
	// must outlive its subject, or the kept index breaks.
	subject := head(t, ctx, repo+":v1.0.0")
	shared, err := seed.Referrer(subject, "application/vnd.example.provenance+json")
	if err != nil {
		t.Fatal(err)
	}
	sharedDesc, err := seed.Descriptor(shared)
	if err != nil {
		t.Fatal(err)
	}
	bundle := mutate.IndexMediaType(mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: shared}), types.OCIImageIndex)
	if _, err := seed.Push(ctx, repo+":bundle", bundle); err != nil {
		t.Fatal(err)
	}

	rules := semverRules(t, proxy.Repo("app"))
	client := newClient(t, nil, oci.WithRetry(0, time.Millisecond, time.Millisecond, time.Second))
	p := planner.Plan(ctx, client, rules, now, planner.Options{})
	if len(p.Repositories) != 1 || p.Repositories[0].Error != "" {
		t.Fatalf("plan: %+v", p.Repositories)
	}
	want := map[string]retention.Kind{
		d["v1.0.0"]:      retention.KindImage,
		d["sbom"]:        retention.KindReferrer,
		d["sig-of-sbom"]: retention.KindReferrer,
	}
	if diff := cmp.Diff(want, deletionsByKind(p.Repositories[0])); diff != "" {
		t.Errorf("deletions (-want +got):\n%s\n(the kept bundle's child is %s)", diff, sharedDesc.Digest)
	}

	// The referrers API fails: nothing in the repository is deleted.
	proxy.Inject(registrytest.Fault{Match: registrytest.Is(http.MethodGet, registrytest.KindReferrers), Status: http.StatusInternalServerError})
	p = planner.Plan(ctx, newClient(t, nil, oci.WithRetry(0, time.Millisecond, time.Millisecond, time.Second)), rules, now, planner.Options{})
	rp := p.Repositories[0]
	if rp.Error == "" || !strings.Contains(rp.Error, "referrers") || len(rp.Deletions) != 0 {
		t.Errorf("referrers API failing: error %q, %d deletions; want a failed repository with none", rp.Error, len(rp.Deletions))
	}
	for _, td := range rp.Tags {
		if td.Action != retention.Keep {
			t.Errorf("tag %s: %s, want keep in a failed repository", td.Tag, td.Action)
		}
	}
}

// TestPlanReferrersUnsupported: Distribution has no referrers API; the
// planner learns that with one request per repository, however many
// manifests it deletes.
func TestPlanReferrersUnsupported(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Now()
	reg := registrytest.StartDistribution(t)
	proxy := registrytest.NewProxy(t, reg)
	var entries []seed.Entry
	for _, v := range []string{"v1.0.0", "v1.1.0", "v1.2.0", "v2.0.0"} {
		entries = append(entries, seed.Entry{Tag: v, Created: now.Add(-time.Hour)})
	}
	for _, name := range []string{"a", "b"} {
		if _, err := seed.History(ctx, reg.Repo(name), entries); err != nil {
			t.Fatal(err)
		}
	}
	rules := semverRules(t, proxy.Host+"/*")
	p := planner.Plan(ctx, newClient(t, nil), rules, now, planner.Options{})
	for _, rp := range p.Repositories {
		if rp.Error != "" || len(rp.Deletions) != 3 {
			t.Errorf("%s: error %q, %d deletions; want 3", rp.Repository, rp.Error, len(rp.Deletions))
		}
	}
	if got := proxy.Count(http.MethodGet, registrytest.KindReferrers); got != 2 {
		t.Errorf("referrers requests = %d, want 2 (one probe per repository)", got)
	}
}

// head returns the descriptor ref points at.
func head(t *testing.T, ctx context.Context, ref string) v1.Descriptor {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Head(r, remote.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	return *desc
}
