package execute_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/execute"
)

// TestRepositoryFailureIsolated: a repository whose listing failed (in the
// plan, or when apply re-lists it) or looks truncated deletes nothing,
// and the other repositories are not held up.
func TestRepositoryFailureIsolated(t *testing.T) {
	t.Parallel()
	e := distribution(t)
	names := []string{"unavailable", "truncated", "failed-plan", "fine"}
	var repos []string
	digests := map[string]string{}
	for _, n := range names {
		d := e.seed(n,
			seed.Entry{Tag: "old-1", Created: daysAgo(40)},
			seed.Entry{Tag: "keep-1", Created: daysAgo(5)},
		)
		digests[n] = d["old-1"]
		repos = append(repos, e.repo(n))
	}
	rules := keepRules(t, repos, "keep-*")
	p := e.plan(rules)
	// A saved plan whose repository failed: it must not carry deletions,
	// but if one does, they are not executed.
	repoPlan(t, p, e.repo("failed-plan")).Error = "listing tags: injected"
	e.proxy.Inject(registrytest.Fault{Match: isKind(http.MethodGet, registrytest.KindTags, "unavailable"), Status: http.StatusServiceUnavailable})
	e.proxy.Inject(registrytest.Fault{
		Match:  isKind(http.MethodGet, registrytest.KindTags, "truncated"),
		Status: http.StatusOK,
		Body:   `{"name":"truncated","tags":["keep-1","old-1","keep-1"]}`,
	})
	e.proxy.Reset()

	out := e.apply(rules, p, execute.Options{})

	everyStatusSet(t, out)
	for _, n := range names[:3] {
		rp := repoPlan(t, out, e.repo(n))
		if rp.Error == "" {
			t.Errorf("%s: no repository error", n)
		}
		wantStatus(t, out, e.repo(n), digests[n], retention.KindImage, retention.StatusSkipped, "")
		if e.resolve(n, "old-1") != digests[n] {
			t.Errorf("%s: old-1 was deleted", n)
		}
	}
	if rp := repoPlan(t, out, e.repo("truncated")); !strings.Contains(rp.Error, "truncated") {
		t.Errorf("truncated: error %q does not say the listing looks truncated", rp.Error)
	}
	for _, ref := range deletes(e.proxy) {
		if !strings.HasPrefix(ref, "fine@") {
			t.Errorf("DELETE %s in a repository that failed", ref)
		}
	}
	wantStatus(t, out, e.repo("fine"), digests["fine"], retention.KindImage, retention.StatusDeleted, "")
	if out.Summary.Failed != 3 {
		t.Errorf("summary: %d failed repositories, want 3", out.Summary.Failed)
	}
}
