package execute_test

import (
	"strings"
	"testing"

	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/execute"
)

// TestSignaturesInAnotherRepository: cosign with COSIGN_REPOSITORY keeps
// the signatures sha256-<hex>.sig in sigs/ and their images in app/. A
// policy whose glob covers both must not take the signatures for
// orphans: their subject is not in sigs/, and their payload says it lives
// in app/. They are kept with that reason, and apply deletes none of
// them; a keep-everything policy is not needed to save them.
func TestSignaturesInAnotherRepository(t *testing.T) {
	t.Parallel()
	e := distribution(t)
	d := e.seed("app",
		seed.Entry{Tag: "old", Created: daysAgo(30)},
		seed.Entry{Tag: "new", Created: daysAgo(1)},
	)
	var sigs []string
	for _, tag := range []string{"old", "new"} {
		sig, err := seed.Signature(mustHash(t, d[tag]), seed.WithSignedRepository(e.repo("app")))
		if err != nil {
			t.Fatal(err)
		}
		sigs = append(sigs, e.push("sigs", seed.SignatureTag(mustHash(t, d[tag])), sig))
	}
	host, _, _ := strings.Cut(e.repo("app"), "/")
	rules := compile(t, retention.Config{Policies: []retention.Policy{{
		Name: "all", Repositories: []string{host + "/*"}, Keep: []retention.KeepRule{{Newest: 1}},
	}}})
	p := e.plan(rules)
	rp := repoPlan(t, p, e.repo("sigs"))
	if len(rp.Deletions) != 0 {
		t.Fatalf("sigs/: %d deletions, want none (the subjects live in app/):\n%s", len(rp.Deletions), render(p))
	}
	for _, td := range rp.Tags {
		if td.Action != retention.Keep || !strings.Contains(strings.Join(td.Reasons, "; "), "COSIGN_REPOSITORY") {
			t.Errorf("sigs/%s: %s %q, want kept with a reason naming COSIGN_REPOSITORY", td.Tag, td.Action, td.Reasons)
		}
	}
	out := e.apply(rules, p, execute.Options{})
	if out.Summary.Failed != 0 {
		t.Fatalf("apply: %d failed:\n%s", out.Summary.Failed, render(out))
	}
	for _, tag := range []string{"old", "new"} {
		if e.resolve("sigs", seed.SignatureTag(mustHash(t, d[tag]))) == "" {
			t.Errorf("the signature of app:%s in sigs/ was deleted", tag)
		}
	}
	_ = sigs
}
