package execute_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/execute"
)

// TestTagsFirstWhereTheRegistryRequiresIt: a registry that refuses a
// digest delete while tags point at the manifest, as Google's do
// (GOOGLE_MANIFEST_DANGLING_TAG), gets the tags-first order from its
// first refusal on: every manifest ends deleted, its tags before it.
func TestTagsFirstWhereTheRegistryRequiresIt(t *testing.T) {
	t.Parallel()
	e := distribution(t)
	d := e.seed("app",
		seed.Entry{Tag: "old-1", Created: daysAgo(40)},
		seed.Entry{Tag: "old-1b", Kind: seed.KindAlias, Of: "old-1"},
		seed.Entry{Tag: "old-2", Created: daysAgo(30)},
		seed.Entry{Tag: "old-3", Created: daysAgo(20)},
		seed.Entry{Tag: "keep-1", Created: daysAgo(5)},
	)
	repo := e.repo("app")
	// Google's answer, to a digest DELETE while a tag points at it. The
	// registry is read in the proxy's Before hook, outside its lock, and
	// the fault answers by what it found.
	var mu sync.Mutex
	refuse := map[*http.Request]bool{}
	e.proxy.Before(func(r *http.Request) {
		if r.Method != http.MethodDelete || !strings.Contains(r.URL.Path, "/manifests/sha256:") {
			return
		}
		digest := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		tags, err := e.direct.ListTags(context.Background(), repo)
		if err != nil {
			return
		}
		for _, tag := range tags {
			if got, err := e.direct.HeadTag(context.Background(), repo, tag); err == nil && got == digest {
				mu.Lock()
				refuse[r] = true
				mu.Unlock()
			}
		}
	})
	dangling := func(r *http.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		return refuse[r]
	}
	e.proxy.Inject(registrytest.Fault{Match: dangling, Status: http.StatusBadRequest,
		Body: `{"errors":[{"code":"GOOGLE_MANIFEST_DANGLING_TAG","message":"Manifest is still referenced by tag"}]}`})
	rules := keepRules(t, []string{repo}, "keep-*")
	p := e.plan(rules)
	e.proxy.Reset()

	out := e.apply(rules, p, execute.Options{Concurrency: 1})

	everyStatusSet(t, out)
	for _, dg := range []string{d["old-1"], d["old-2"], d["old-3"]} {
		wantStatus(t, out, repo, dg, "", retention.StatusDeleted, "")
		if e.exists("app", dg) {
			t.Errorf("%s still exists", dg)
		}
	}
	if diff := cmp.Diff([]string{"keep-1"}, e.tags("app")); diff != "" {
		t.Errorf("tags left (-want +got):\n%s", diff)
	}
	// One refused digest DELETE, then tags first: 3 manifests, 4 tags.
	got := deletes(e.proxy)
	refused, byDigest := 0, 0
	for _, r := range e.proxy.Requests() {
		if r.Method == http.MethodDelete && strings.Contains(r.Path, "sha256:") {
			byDigest++
			if r.Status == http.StatusBadRequest {
				refused++
			}
		}
	}
	if refused != 1 || byDigest != 4 || len(got) != 8 {
		t.Errorf("%d DELETEs (%d by digest, %d refused), want 8 (4 by digest, 1 refused): %v", len(got), byDigest, refused, got)
	}
}
