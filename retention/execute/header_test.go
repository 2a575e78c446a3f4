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

const bogusDigest = "sha256:0000000000000000000000000000000000000000000000000000000000000bad"

// headLies makes HEAD of the manifests whose path ends in one of refs
// (any manifest when none) answer a Docker-Content-Digest that is not
// the hash of the manifest the registry serves.
func headLies(e *env, refs ...string) {
	e.proxy.Inject(registrytest.Fault{Match: func(r *http.Request) bool {
		if r.Method != http.MethodHead || !strings.Contains(r.URL.Path, "/manifests/") {
			return false
		}
		if len(refs) == 0 {
			return true
		}
		for _, ref := range refs {
			if strings.HasSuffix(r.URL.Path, "/manifests/"+ref) {
				return true
			}
		}
		return false
	}, Header: map[string]string{"Docker-Content-Digest": bogusDigest}})
}

// TestDigestHeaderThatLies: the plan takes a manifest's digest from the
// hash of its body; a registry whose HEAD names another digest for every
// tag must not make apply skip every deletion as "moved" at exit 0. The
// disagreement is checked with a GET, and when the body still hashes to
// the planned digest the repository fails, saying so, with nothing
// deleted.
func TestDigestHeaderThatLies(t *testing.T) {
	t.Parallel()
	e := distribution(t)
	d := e.seed("app",
		seed.Entry{Tag: "old-1", Created: daysAgo(40)},
		seed.Entry{Tag: "old-2", Created: daysAgo(30)},
		seed.Entry{Tag: "keep-1", Created: daysAgo(5)},
	)
	repo := e.repo("app")
	rules := keepRules(t, []string{repo}, "keep-*")
	p := e.plan(rules)
	headLies(e)

	out := e.apply(rules, p, execute.Options{})

	rp := repoPlan(t, out, repo)
	if !strings.Contains(rp.Error, "Docker-Content-Digest") || out.Summary.Failed != 1 {
		t.Errorf("repository error %q, %d failed repositories; want the repository failed naming the lying header", rp.Error, out.Summary.Failed)
	}
	wantStatus(t, out, repo, d["old-1"], retention.KindImage, retention.StatusSkipped, "re-reading the repository before deleting failed")
	everyStatusSet(t, out)
	for _, tag := range []string{"old-1", "old-2", "keep-1"} {
		if !e.exists("app", d[tag]) {
			t.Errorf("%s was deleted by a run whose registry lies about digests", tag)
		}
	}
}

// TestNewTagReadByItsBody: a tag pushed since the plan onto a manifest
// the plan deletes saves it, even when the registry's HEAD names another
// digest for that tag: a tag the plan never saw is read the way the plan
// reads, by hashing the manifest served.
func TestNewTagReadByItsBody(t *testing.T) {
	t.Parallel()
	e := distribution(t)
	d := e.seed("app",
		seed.Entry{Tag: "old-1", Created: daysAgo(40)},
		seed.Entry{Tag: "keep-1", Created: daysAgo(5)},
	)
	repo := e.repo("app")
	rules := keepRules(t, []string{repo}, "keep-*")
	p := e.plan(rules)
	e.tag("app", "new-x", d["old-1"])
	headLies(e, "new-x")

	out := e.apply(rules, p, execute.Options{})

	wantStatus(t, out, repo, d["old-1"], retention.KindImage, retention.StatusSkipped, "new-x")
	if !e.exists("app", d["old-1"]) {
		t.Errorf("old-1's manifest was deleted, and with it new-x, pushed since the plan")
	}
}
