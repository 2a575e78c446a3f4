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

// TestTaggedSBOMFollowsItsSubject: an ordinarily tagged manifest with a
// subject (sbom-old for old) is deleted only after its subject's
// deletion succeeded, checked at execution time: when old is saved by a
// tag that arrived before apply, or its DELETE fails, sbom-old stays.
func TestTaggedSBOMFollowsItsSubject(t *testing.T) {
	t.Parallel()
	for _, tc := range []string{"subject skipped", "subject DELETE fails"} {
		t.Run(tc, func(t *testing.T) {
			t.Parallel()
			e := distribution(t)
			d := e.seed("app",
				seed.Entry{Tag: "old", Created: daysAgo(30)},
				seed.Entry{Tag: "sbom", Kind: seed.KindReferrer, Of: "old"},
				seed.Entry{Tag: "keep-1", Created: daysAgo(5)},
			)
			e.tag("app", "sbom-old", d["sbom"])
			repo := e.repo("app")
			rules := keepRules(t, []string{repo}, "keep-*")
			p := e.plan(rules)
			if got := deletion(t, p, repo, d["sbom"], "").Kind; got != retention.KindReferrer {
				t.Fatalf("sbom-old planned as %s, want a referrer of old", got)
			}
			if tc == "subject skipped" {
				e.tag("app", "new-x", d["old"])
			} else {
				e.proxy.Inject(registrytest.Fault{Match: func(r *http.Request) bool {
					return r.Method == http.MethodDelete && strings.HasSuffix(r.URL.Path, "/manifests/"+d["old"])
				}, Status: http.StatusInternalServerError})
			}
			out := e.apply(rules, p, execute.Options{Saved: true})
			if s := deletion(t, out, repo, d["sbom"], retention.KindReferrer); s.Status == retention.StatusDeleted {
				t.Errorf("%s: sbom-old was deleted while old stays:\n%s", tc, render(out))
			}
			if !e.exists("app", d["sbom"]) {
				t.Errorf("%s: the SBOM's manifest is gone while its subject stays", tc)
			}
		})
	}
}
