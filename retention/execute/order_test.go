package execute_test

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/execute"
)

// TestDeleteOrder: the order that ends in the same state on every
// registry: tags deleted alone first, then indexes, images, children and
// referrers, each manifest in one DELETE by digest, which takes its tags. Checked on the
// DELETE requests the registry received, and on Distribution's end state.
func TestDeleteOrder(t *testing.T) {
	t.Parallel()
	e := distribution(t)
	d := e.seed("app",
		seed.Entry{Tag: "old-s", Created: daysAgo(50)},
		seed.Entry{Tag: "keep-s", Kind: seed.KindAlias, Of: "old-s"},
		seed.Entry{Tag: "old-idx", Kind: seed.KindIndex, Created: daysAgo(45)},
		seed.Entry{Tag: "old-1", Created: daysAgo(40)},
		seed.Entry{Kind: seed.KindSignature, Of: "old-1"},
		seed.Entry{Tag: "old-1b", Kind: seed.KindAlias, Of: "old-1"},
		seed.Entry{Tag: "old-2", Created: daysAgo(30)},
		seed.Entry{Kind: seed.KindSignature, Of: "old-2"},
		seed.Entry{Tag: "keep-1", Created: daysAgo(5)},
		seed.Entry{Kind: seed.KindSignature, Of: "keep-1"},
	)
	repo := e.repo("app")
	rules := keepRules(t, []string{repo}, "keep-*")
	p := e.plan(rules)
	e.proxy.Reset()

	out := e.apply(rules, p, execute.Options{Concurrency: 4})

	everyStatusSet(t, out)
	if out.Summary.Deleted != len(repoPlan(t, out, repo).Deletions) {
		t.Fatalf("not everything was deleted:\n%s", render(out))
	}
	phase := map[retention.Kind]int{retention.KindTag: 0, retention.KindIndex: 1, retention.KindImage: 2, retention.KindChild: 3, retention.KindReferrer: 4}
	type step struct {
		phase int
		of    string // the manifest a tag belongs to
		tag   bool
	}
	want := map[string]step{}
	kinds := map[retention.Kind]int{}
	for _, del := range repoPlan(t, out, repo).Deletions {
		kinds[del.Kind]++
		if del.Kind == retention.KindTag {
			for _, tag := range del.Tags {
				want["app@"+tag] = step{phase[del.Kind], del.Digest, true}
			}
		} else {
			want["app@"+del.Digest] = step{phase: phase[del.Kind], of: del.Digest}
		}
	}
	if kinds[retention.KindTag] != 1 || kinds[retention.KindIndex] != 1 || kinds[retention.KindImage] != 2 || kinds[retention.KindChild] < 2 || kinds[retention.KindReferrer] != 2 {
		t.Fatalf("the plan should hold every kind of deletion; it holds %v", kinds)
	}
	got := deletes(e.proxy)
	var gotSet, wantSet []string
	for ref := range want {
		wantSet = append(wantSet, ref)
	}
	gotSet = append(gotSet, got...)
	slices.Sort(gotSet)
	slices.Sort(wantSet)
	if diff := cmp.Diff(wantSet, gotSet); diff != "" {
		t.Errorf("DELETE requests (-want +got):\n%s", diff)
	}
	last := 0
	digestDone := map[string]bool{}
	for _, ref := range got {
		s := want[ref]
		if s.phase < last {
			t.Errorf("DELETE %s (phase %d) after a phase-%d DELETE; order: %v", ref, s.phase, last, got)
		}
		last = max(last, s.phase)
		if s.tag && digestDone[s.of] {
			t.Errorf("DELETE %s after its manifest %s", ref, s.of)
		}
		if !s.tag {
			digestDone[s.of] = true
		}
	}

	if diff := cmp.Diff([]string{"keep-1", "keep-s", sigTag(d["keep-1"])}, e.tags("app")); diff != "" {
		t.Errorf("tags left (-want +got):\n%s", diff)
	}
	for ref, s := range want {
		if !s.tag && e.exists("app", s.of) {
			t.Errorf("%s still exists", ref)
		}
	}
	for _, dg := range []string{d["old-s"], d["keep-1"], d[sigTag(d["keep-1"])]} {
		if !e.exists("app", dg) {
			t.Errorf("kept manifest %s is gone", dg)
		}
	}
}
