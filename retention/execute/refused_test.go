package execute_test

import (
	"strings"
	"testing"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/execute"
)

// TestDeleteRefused: a registry that refuses DELETE gets one clear
// message per repository, naming the registry and the fix, rather than
// one per manifest; the rest is not attempted, and the summary counts the
// failures (the CLI exits 1 on them).
func TestDeleteRefused(t *testing.T) {
	t.Parallel()
	e := distribution(t, registrytest.WithDeleteDisabled())
	names := []string{"one", "two"}
	var repos []string
	for _, n := range names {
		e.seed(n,
			seed.Entry{Tag: "old-1", Created: daysAgo(40)},
			seed.Entry{Tag: "old-2", Created: daysAgo(30)},
			seed.Entry{Tag: "old-3", Created: daysAgo(20)},
			seed.Entry{Tag: "keep-1", Created: daysAgo(5)},
		)
		repos = append(repos, e.repo(n))
	}
	rules := keepRules(t, repos, "keep-*")
	p := e.plan(rules)
	e.proxy.Reset()

	out := e.apply(rules, p, execute.Options{Concurrency: 1})

	everyStatusSet(t, out)
	for _, n := range names {
		rp := repoPlan(t, out, e.repo(n))
		for _, want := range []string{e.proxy.Host, "storage.delete.enabled"} {
			if !strings.Contains(rp.Error, want) {
				t.Errorf("%s: repository error %q does not mention %q", n, rp.Error, want)
			}
		}
		for _, d := range rp.Deletions {
			if d.Status != retention.StatusFailed {
				t.Errorf("%s: %s has status %q, want failed", n, d.Digest, d.Status)
			}
			if strings.Contains(d.Error, "storage.delete.enabled") {
				t.Errorf("%s: the fix is repeated in each deletion's error: %q", n, d.Error)
			}
		}
		sent := 0
		for _, ref := range deletes(e.proxy) {
			if strings.HasPrefix(ref, n+"@") {
				sent++
			}
		}
		// The first manifest: its tag, then the digest. The rest are not
		// attempted once the registry said it refuses DELETE.
		if sent > 2 {
			t.Errorf("%s: %d DELETE requests sent to a registry that refuses them, want at most 2", n, sent)
		}
		if got := e.tags(n); len(got) != 4 {
			t.Errorf("%s: tags %v, want all four", n, got)
		}
	}
	if out.Summary.Failed != 2 || out.Summary.DeletionsFailed != 6 {
		t.Errorf("summary %d failed repositories, %d failed deletions; want 2 and 6", out.Summary.Failed, out.Summary.DeletionsFailed)
	}
}
