package execute_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/execute"
)

func images(t *testing.T, n int) []v1.Image {
	t.Helper()
	out := make([]v1.Image, n)
	for i := range out {
		img, err := seed.Image(daysAgo(30 + i))
		if err != nil {
			t.Fatal(err)
		}
		out[i] = img
	}
	return out
}

func indexOf(t *testing.T, children ...v1.Image) v1.ImageIndex {
	t.Helper()
	idx, err := seed.IndexOf(children)
	if err != nil {
		t.Fatal(err)
	}
	return idx
}

func digestOf(t *testing.T, m seed.Pushable) string {
	t.Helper()
	d, err := seed.Descriptor(m)
	if err != nil {
		t.Fatal(err)
	}
	return d.Digest.String()
}

// TestIndexTakesItsChildren: a deleted index takes its children along,
// index first, but never a child that a kept index or tag references,
// and no child when the index itself was not deleted.
func TestIndexTakesItsChildren(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// change runs between plan and apply.
		change      func(e *env, imgs []v1.Image, old string)
		wantIndex   retention.Status
		wantChild   retention.Status
		childReason string
		wantDeletes []string
	}{
		{
			name:        "index deleted",
			wantIndex:   retention.StatusDeleted,
			wantChild:   retention.StatusDeleted,
			wantDeletes: []string{"app@old", "app@a"}, // each manifest in one DELETE
		},
		{
			name: "index deletion fails",
			change: func(e *env, _ []v1.Image, old string) {
				e.proxy.Inject(registrytest.Fault{Match: isDelete("app", old), Status: http.StatusInternalServerError})
			},
			wantIndex:   retention.StatusFailed,
			wantChild:   retention.StatusSkipped,
			childReason: "was not deleted",
			wantDeletes: []string{"app@old", "app@old", "app@old"}, // retried twice
		},
		{
			name: "new index references the child",
			change: func(e *env, imgs []v1.Image, _ string) {
				e.push("app", "new-idx", indexOf(e.t, imgs[0], imgs[3]))
			},
			wantIndex:   retention.StatusDeleted,
			wantChild:   retention.StatusSkipped,
			childReason: "tagged new-idx, lists it",
			wantDeletes: []string{"app@old"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := distribution(t)
			imgs := images(t, 4) // a, b, c, d
			a, b, c, dd := digestOf(t, imgs[0]), digestOf(t, imgs[1]), digestOf(t, imgs[2]), digestOf(t, imgs[3])
			e.push("app", "keep-b", imgs[1])
			old := e.push("app", "old-idx", indexOf(t, imgs[0], imgs[1], imgs[2]))
			kept := e.push("app", "keep-idx", indexOf(t, imgs[2], imgs[3]))
			repo := e.repo("app")
			rules := keepRules(t, []string{repo}, "keep-*")
			p := e.plan(rules)
			var planned []string
			for _, d := range repoPlan(t, p, repo).Deletions {
				planned = append(planned, string(d.Kind)+" "+d.Digest)
			}
			if diff := cmp.Diff([]string{"index " + old, "child " + a}, planned); diff != "" {
				t.Fatalf("planned deletions (-want +got):\n%s", diff)
			}
			if tc.change != nil {
				tc.change(e, imgs, old)
			}
			e.proxy.Reset()

			out := e.apply(rules, p, execute.Options{})

			wantStatus(t, out, repo, old, retention.KindIndex, tc.wantIndex, "")
			wantStatus(t, out, repo, a, retention.KindChild, tc.wantChild, tc.childReason)
			everyStatusSet(t, out)
			names := map[string]string{old: "old", a: "a", b: "b", c: "c", dd: "d", kept: "kept"}
			var got []string
			for _, ref := range deletes(e.proxy) {
				r := ref[len("app@"):]
				if n, ok := names[r]; ok {
					r = n
				}
				got = append(got, "app@"+r)
			}
			if diff := cmp.Diff(tc.wantDeletes, got); diff != "" {
				t.Errorf("DELETE requests in order (-want +got):\n%s", diff)
			}
			for _, dg := range []string{b, c, dd, kept} {
				if !e.exists("app", dg) {
					t.Errorf("%s (%s) was deleted; a kept tag or index references it", dg, names[dg])
				}
			}
			if got, want := e.exists("app", a), tc.wantChild != retention.StatusDeleted; got != want {
				t.Errorf("child a exists: %v, want %v", got, want)
			}
			if got := e.resolve("app", "keep-idx"); got != kept {
				t.Errorf("keep-idx points at %q, want %s", got, kept)
			}
		})
	}
}

// TestNewIndexReferencesPlannedImage: an index pushed after the plan that
// lists an image the plan deletes by digest must not lose that image.
func TestNewIndexReferencesPlannedImage(t *testing.T) {
	t.Parallel()
	e := distribution(t)
	imgs := images(t, 2)
	old := e.push("app", "old-1", imgs[0])
	e.push("app", "keep-1", imgs[1])
	repo := e.repo("app")
	rules := keepRules(t, []string{repo}, "keep-*")
	p := e.plan(rules)
	e.push("app", "multi", indexOf(t, imgs[0], imgs[1]))

	out := e.apply(rules, p, execute.Options{})

	wantStatus(t, out, repo, old, retention.KindImage, retention.StatusSkipped, "tagged multi, lists it")
	if !e.exists("app", old) {
		t.Errorf("old-1's image was deleted, and the index multi pushed since the plan lists it")
	}
}

// TestChildOfSkippedIndexStays: a child that two deleted indexes share is
// planned once, under the first. When the other index is not deleted
// after all (a new tag on it, or a protection at execution time), the
// child must stay: that index still lists it.
func TestChildOfSkippedIndexStays(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		change func(e *env, k string)
		apply  func(t *testing.T, repo string) *retention.Rules
		reason string
	}{
		{
			name:   "new tag on the other index",
			change: func(e *env, k string) { e.tag("app", "keep-k", k) },
			reason: "keep-k now point at it",
		},
		{
			name: "other index protected at execution time",
			apply: func(t *testing.T, repo string) *retention.Rules {
				return compile(t, retention.Config{Protect: retention.Protect{Tags: []string{"old-k"}}, Policies: []retention.Policy{keepPolicy([]string{repo}, "keep-*")}})
			},
			reason: "protected",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := distribution(t)
			imgs := images(t, 3) // a, b, c
			a, b := digestOf(t, imgs[0]), digestOf(t, imgs[1])
			e.push("app", "keep-c", imgs[2])
			p1 := e.push("app", "old-a", indexOf(t, imgs[0], imgs[1])) // listed first: a and b are planned under it
			k := e.push("app", "old-k", indexOf(t, imgs[0]))
			repo := e.repo("app")
			rules := keepRules(t, []string{repo}, "keep-*")
			p := e.plan(rules)
			if d := deletion(t, p, repo, a, retention.KindChild); d.Parent != p1 {
				t.Fatalf("child a planned under %s, want %s (old-a)", d.Parent, p1)
			}
			if tc.change != nil {
				tc.change(e, k)
			}
			applyRules := rules
			if tc.apply != nil {
				applyRules = tc.apply(t, repo)
			}

			out := e.apply(applyRules, p, execute.Options{})

			wantStatus(t, out, repo, p1, retention.KindIndex, retention.StatusDeleted, "")
			wantStatus(t, out, repo, k, retention.KindIndex, retention.StatusSkipped, tc.reason)
			wantStatus(t, out, repo, b, retention.KindChild, retention.StatusDeleted, "")
			wantStatus(t, out, repo, a, retention.KindChild, retention.StatusSkipped, "old-k")
			everyStatusSet(t, out)
			if !e.exists("app", a) {
				t.Errorf("child a was deleted while the index old-k, which was not deleted, lists it")
			}
		})
	}
}

// TestNestedChildFollowsItsIndex: a deleted index of indexes takes the
// children of its child index too. The child index and its own children
// are both of kind child; a grandchild must wait for its parent's
// deletion, not be skipped because it was checked first.
func TestNestedChildFollowsItsIndex(t *testing.T) {
	t.Parallel()
	e := distribution(t)
	imgs := images(t, 2) // a (nested), b (kept)
	a := digestOf(t, imgs[0])
	inner := indexOf(t, imgs[0])
	innerDigest := digestOf(t, inner)
	outer := mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: inner, Descriptor: v1.Descriptor{MediaType: types.OCIImageIndex}})
	e.push("app", "keep-b", imgs[1])
	old := e.push("app", "old", outer)
	repo := e.repo("app")
	rules := keepRules(t, []string{repo}, "keep-*")
	p := e.plan(rules)
	if d := deletion(t, p, repo, a, retention.KindChild); d.Parent != innerDigest {
		t.Fatalf("grandchild a planned under %s, want the inner index %s", d.Parent, innerDigest)
	}
	// The inner index's DELETE arrives late, as it may under load.
	e.proxy.Inject(registrytest.Fault{Match: func(r *http.Request) bool {
		if isDelete("app", innerDigest)(r) {
			time.Sleep(300 * time.Millisecond)
		}
		return false
	}})

	out := e.apply(rules, p, execute.Options{Concurrency: 4})

	wantStatus(t, out, repo, old, retention.KindIndex, retention.StatusDeleted, "")
	wantStatus(t, out, repo, innerDigest, retention.KindChild, retention.StatusDeleted, "")
	wantStatus(t, out, repo, a, retention.KindChild, retention.StatusDeleted, "")
	everyStatusSet(t, out)
	if e.exists("app", a) {
		t.Errorf("grandchild a is left behind, untagged and listed by no index")
	}
}
