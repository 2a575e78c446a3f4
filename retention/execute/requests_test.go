package execute_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/execute"
	"github.com/regprune/regprune/retention/registry/oci"
	"github.com/regprune/regprune/retention/state"
)

// TestApplyRequestCount: after a fresh plan, with a state directory as
// `regprune apply` has, the gate's fresh plan of each repository sends
// one tags/list per page, one HEAD per tag (a GET for a tag new since the
// plan), one HEAD that checks the registry's digest header, the referrers
// requests the plan sent; then one DELETE per tag and manifest it
// deletes, and one confirming listing; nothing else (manifests and
// configs come from the cache by hash, and the client's authentication
// from the plan is reused).
func TestApplyRequestCount(t *testing.T) {
	t.Parallel()
	// Three tags a page, so listings paginate.
	store, _, err := state.Open(t.TempDir(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	e := newEnv(t, registrytest.StartDistribution(t, registrytest.WithMaxTags(3)), oci.WithCache(store))
	big := e.seed("big",
		seed.Entry{Tag: "old-1", Created: daysAgo(40)},
		seed.Entry{Kind: seed.KindSignature, Of: "old-1"},
		seed.Entry{Tag: "old-1b", Kind: seed.KindAlias, Of: "old-1"},
		seed.Entry{Tag: "old-2", Created: daysAgo(30)},
		seed.Entry{Tag: "keep-2", Kind: seed.KindAlias, Of: "old-2"},
		seed.Entry{Tag: "old-idx", Kind: seed.KindIndex, Created: daysAgo(25)},
		seed.Entry{Tag: "keep-1", Created: daysAgo(5)},
	)
	e.seed("small",
		seed.Entry{Tag: "old-1", Created: daysAgo(40)},
		seed.Entry{Tag: "keep-1", Created: daysAgo(5)},
	)
	repos := []string{e.repo("big"), e.repo("small")}
	rules := keepRules(t, repos, "keep-*")
	e.proxy.Reset()
	p := e.plan(rules)
	planned := e.proxy.Counts()
	// A tag arrives after the plan: apply resolves it too. (8 tags are
	// still three pages of three.)
	e.tag("big", "new-x", big["keep-1"])
	e.proxy.Reset()

	out := e.apply(rules, p, execute.Options{})

	everyStatusSet(t, out)
	if out.Summary.Deleted != out.Summary.Manifests+out.Summary.TagOnly+out.Summary.Children+out.Summary.Referrers {
		t.Fatalf("not everything was deleted:\n%s", render(out))
	}
	// The fresh plan's listing takes the plan's pages again; the
	// confirming one after takes big's 3 remaining tags (keep-1, keep-2,
	// new-x: one full page, checked once more) and small's one page.
	want := map[string]int{"GET tags": planned["GET tags"] + 3, "GET referrers": planned["GET referrers"]}
	for _, rp := range out.Repositories {
		for _, del := range rp.Deletions {
			// One DELETE per deleted manifest, which takes its tags; a
			// tag that goes alone is its own DELETE.
			if del.Kind == retention.KindTag {
				want["DELETE manifest-by-tag"] += len(del.Tags)
			} else {
				want["DELETE manifest-by-digest"]++
			}
			// The gate reads each manifest it lets go; the plan read all
			// but an index's children (their digests are in the index).
			if del.Kind == retention.KindChild {
				want["GET manifest-by-digest"]++
			}
		}
		// Every tag resolved once, and one header probe.
		want["HEAD manifest-by-tag"] += len(rp.Tags) + 1
	}
	want["GET manifest-by-tag"]++ // new-x, read as the plan reads: its body hashed
	if g := repoPlan(t, out, e.repo("big")).Gate; g == nil || g.Rounds != 1 {
		t.Errorf("gate %+v, want one round", g)
	}
	got := e.proxy.Counts()
	t.Logf("plan: %v; apply: %v", planned, got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("apply's requests by kind (-want +got):\n%s", diff)
	}
	if planned["GET tags"] != 4 {
		t.Errorf("%d tags/list pages during the plan, want 3+1: the listing should paginate", planned["GET tags"])
	}
}
