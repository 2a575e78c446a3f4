package execute_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/execute"
)

// TestSharedDigestTagsDeletedAlone: a manifest is deleted by digest only
// when every tag on it goes. When some of its tags are kept, the others
// are deleted alone (DELETE by tag); a registry that refuses that keeps
// the tag, reports it skipped, and the manifest stays.
func TestSharedDigestTagsDeletedAlone(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		refuseTags  bool
		wantTag     retention.Status
		wantTags    []string
		wantDeletes []string // by tag name or "shared"/"alone" digest
	}{
		{
			name:        "tag deletion supported",
			wantTag:     retention.StatusDeleted,
			wantTags:    []string{"keep-1"},
			wantDeletes: []string{"alone", "old-1"},
		},
		{
			name:       "tag deletion refused",
			refuseTags: true,
			wantTag:    retention.StatusSkipped,
			wantTags:   []string{"keep-1", "old-1"},
			// old-2's manifest goes whole, in one digest DELETE that
			// takes its tag along.
			wantDeletes: []string{"alone", "old-1"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := distribution(t)
			d := e.seed("app",
				seed.Entry{Tag: "old-1", Created: daysAgo(30)},
				seed.Entry{Tag: "keep-1", Kind: seed.KindAlias, Of: "old-1"},
				seed.Entry{Tag: "old-2", Created: daysAgo(20)},
			)
			shared, alone := d["old-1"], d["old-2"]
			repo := e.repo("app")
			rules := keepRules(t, []string{repo}, "keep-*")
			p := e.plan(rules)
			if got := deletion(t, p, repo, shared, "").Kind; got != retention.KindTag {
				t.Fatalf("plan deletes the shared digest as %q, want %q", got, retention.KindTag)
			}
			if tc.refuseTags {
				e.proxy.Inject(registrytest.Fault{Match: registrytest.Is(http.MethodDelete, registrytest.KindManifestTag), Status: http.StatusMethodNotAllowed})
			}
			e.proxy.Reset()

			out := e.apply(rules, p, execute.Options{})

			wantStatus(t, out, repo, shared, retention.KindTag, tc.wantTag, "")
			wantStatus(t, out, repo, alone, retention.KindImage, retention.StatusDeleted, "")
			everyStatusSet(t, out)
			if rp := repoPlan(t, out, repo); rp.Error != "" {
				t.Errorf("repository error %q: a refused tag DELETE is not a refused DELETE", rp.Error)
			}
			names := map[string]string{shared: "shared", alone: "alone"}
			var got []string
			for _, ref := range deletes(e.proxy) {
				r := ref[len("app@"):]
				if n, ok := names[r]; ok {
					r = n
				}
				got = append(got, r)
			}
			if slices.Contains(got, "shared") {
				t.Errorf("the shared manifest was deleted by digest; DELETEs: %v", got)
			}
			slices.Sort(got)
			if diff := cmp.Diff(tc.wantDeletes, got); diff != "" {
				t.Errorf("DELETE requests (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantTags, e.tags("app")); diff != "" {
				t.Errorf("tags left (-want +got):\n%s", diff)
			}
			if got := e.resolve("app", "keep-1"); got != shared {
				t.Errorf("keep-1 points at %q, want %s", got, shared)
			}
			if e.exists("app", alone) {
				t.Errorf("%s (old-2) still exists", alone)
			}
		})
	}
}
