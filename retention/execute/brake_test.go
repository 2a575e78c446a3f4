package execute_test

import (
	"sync"
	"testing"
	"time"

	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/execute"
)

// TestMaxDeletions: the brake counts manifests deleted by digest that a
// tag pointed at (images and indexes; not tag-only deletions, children or
// referrers) over the whole plan, before the first deletion. Over the
// limit nothing is sent; exactly at the limit everything goes.
func TestMaxDeletions(t *testing.T) {
	t.Parallel()
	e := distribution(t)
	d := e.seed("app",
		seed.Entry{Tag: "old-1", Created: daysAgo(40)},
		seed.Entry{Kind: seed.KindSignature, Of: "old-1"},
		seed.Entry{Tag: "old-2", Created: daysAgo(30)},
		seed.Entry{Tag: "old-idx", Kind: seed.KindIndex, Created: daysAgo(30)},
		seed.Entry{Tag: "old-3", Created: daysAgo(20)},
		seed.Entry{Tag: "keep-3", Kind: seed.KindAlias, Of: "old-3"},
		seed.Entry{Tag: "keep-1", Created: daysAgo(5)},
	)
	repo := e.repo("app")
	rules := keepRules(t, []string{repo}, "keep-*")
	p := e.plan(rules)
	if p.Summary.TagOnly != 1 || p.Summary.Children < 1 || p.Summary.Referrers != 1 {
		t.Fatalf("the plan should have a tag-only deletion, children and a referrer; summary %+v", p.Summary)
	}
	const manifests = 3 // old-1, old-2, old-idx
	if got := execute.CountManifests(p); got != manifests {
		t.Fatalf("CountManifests = %d, want %d", got, manifests)
	}
	if got := execute.DryRun(p, manifests-1); got.Aborted == "" {
		t.Errorf("dry run over the limit: not aborted")
	}
	if got := execute.DryRun(p, manifests); got.Aborted != "" {
		t.Errorf("dry run at the limit: aborted: %s", got.Aborted)
	}
	e.proxy.Reset()

	out := e.apply(rules, p, execute.Options{MaxDeletions: manifests - 1})
	if out.Aborted == "" {
		t.Fatalf("apply over the limit was not aborted:\n%s", render(out))
	}
	if n := len(e.proxy.Requests()); n != 0 {
		t.Errorf("an aborted apply sent %d requests: %v", n, e.proxy.Requests())
	}
	for _, del := range repoPlan(t, out, repo).Deletions {
		if del.Status != retention.StatusSkipped {
			t.Errorf("aborted apply: %s %s has status %q, want skipped", del.Kind, del.Digest, del.Status)
		}
	}
	if out.Summary.Deleted != 0 || out.Summary.Skipped != len(repoPlan(t, out, repo).Deletions) {
		t.Errorf("aborted apply summary %+v", out.Summary)
	}

	out = e.apply(rules, p, execute.Options{MaxDeletions: manifests})
	if out.Aborted != "" {
		t.Fatalf("apply at the limit was aborted: %s", out.Aborted)
	}
	everyStatusSet(t, out)
	if out.Summary.Deleted != len(repoPlan(t, out, repo).Deletions) {
		t.Errorf("at the limit not everything was deleted:\n%s", render(out))
	}
	for _, tag := range []string{"old-1", "old-2", "old-idx", "old-3"} {
		if e.resolve("app", tag) != "" {
			t.Errorf("tag %s is still there", tag)
		}
	}
	if got := e.resolve("app", "keep-3"); got != d["old-3"] {
		t.Errorf("keep-3 points at %q, want %s", got, d["old-3"])
	}
}

// TestRulesEnforcedAtApply: protect.tags and minAge hold at execution
// time too, also for a saved plan made under other rules.
func TestRulesEnforcedAtApply(t *testing.T) {
	t.Parallel()
	e := distribution(t)
	d := e.seed("app",
		seed.Entry{Tag: "old-1", Created: daysAgo(40)},
		seed.Entry{Tag: "old-2", Created: daysAgo(20)},
		seed.Entry{Tag: "old-3", Created: daysAgo(30)},
		seed.Entry{Tag: "old-4", Created: daysAgo(35)},
		seed.Entry{Tag: "keep-4", Kind: seed.KindAlias, Of: "old-4"},
		seed.Entry{Tag: "keep-1", Created: daysAgo(5)},
	)
	repo := e.repo("app")
	planned := compile(t, retention.Config{
		MinAge:   retention.Duration(24 * time.Hour),
		Policies: []retention.Policy{keepPolicy([]string{repo}, "keep-*")},
	})
	p := roundTrip(t, e.plan(planned))
	if got := execute.CountManifests(p); got != 3 {
		t.Fatalf("the plan deletes %d manifests, want 3:\n%s", got, render(p))
	}
	applied := compile(t, retention.Config{
		MinAge:   retention.Duration(25 * 24 * time.Hour),
		Protect:  retention.Protect{Tags: []string{"old-1", "/^old-4$/"}},
		Policies: []retention.Policy{keepPolicy([]string{repo}, "keep-*")},
	})

	out := e.apply(applied, p, execute.Options{Saved: true})

	wantStatus(t, out, repo, d["old-1"], retention.KindImage, retention.StatusSkipped, `protected by protect.tags "old-1"`)
	wantStatus(t, out, repo, d["old-2"], retention.KindImage, retention.StatusSkipped, "younger than minAge")
	wantStatus(t, out, repo, d["old-3"], retention.KindImage, retention.StatusDeleted, "")
	wantStatus(t, out, repo, d["old-4"], retention.KindTag, retention.StatusSkipped, "protected by protect.tags")
	everyStatusSet(t, out)
	for _, tag := range []string{"old-1", "old-2", "old-4", "keep-4"} {
		if e.resolve("app", tag) != d[tag] {
			t.Errorf("tag %s was deleted or moved", tag)
		}
	}
}

// TestSavedPlanOutsideTheConfiguration: a saved plan for a repository that
// no policy of the configuration in force governs deletes nothing there.
func TestSavedPlanOutsideTheConfiguration(t *testing.T) {
	t.Parallel()
	e := distribution(t)
	d := e.seed("app",
		seed.Entry{Tag: "old-1", Created: daysAgo(40)},
		seed.Entry{Tag: "keep-1", Created: daysAgo(5)},
	)
	repo := e.repo("app")
	p := roundTrip(t, e.plan(compile(t, retention.Config{Policies: []retention.Policy{keepPolicy([]string{repo}, "keep-*")}})))
	other := compile(t, retention.Config{Policies: []retention.Policy{keepPolicy([]string{e.repo("other")}, "keep-*")}})

	out := e.apply(other, p, execute.Options{Saved: true})

	wantStatus(t, out, repo, d["old-1"], retention.KindImage, retention.StatusSkipped, "no policy of the configuration in force governs this repository")
	if e.resolve("app", "old-1") != d["old-1"] {
		t.Error("old-1 was deleted by a saved plan that the configuration in force does not cover")
	}
}

// TestProgress: the progress callback counts every deletion once, ending
// at the total.
func TestProgress(t *testing.T) {
	t.Parallel()
	e := distribution(t)
	e.seed("app",
		seed.Entry{Tag: "old-1", Created: daysAgo(40)},
		seed.Entry{Tag: "old-2", Created: daysAgo(30)},
		seed.Entry{Tag: "keep-1", Created: daysAgo(5)},
	)
	rules := keepRules(t, []string{e.repo("app")}, "keep-*")
	p := e.plan(rules)
	var mu sync.Mutex
	var calls []execute.Counts
	e.apply(rules, p, execute.Options{Progress: func(c execute.Counts) {
		mu.Lock()
		calls = append(calls, c)
		mu.Unlock()
	}})
	if len(calls) != 2 || calls[len(calls)-1] != (execute.Counts{Deleted: 2, Total: 2}) {
		t.Errorf("progress calls = %v, want two ending at 2 of 2 deleted", calls)
	}
}

// TestMaxDeletionsCountsOrphans: signatures deleted because their subject
// is gone count toward maxDeletions: a run that suddenly finds a
// thousand orphans is braked like one that finds a thousand old images.
func TestMaxDeletionsCountsOrphans(t *testing.T) {
	t.Parallel()
	e := distribution(t)
	e.seed("app", seed.Entry{Tag: "keep-1", Created: daysAgo(5)})
	for _, n := range []string{"gone-1", "gone-2"} {
		img := image(t, daysAgo(30))
		e.push("app", n, img)
		gone := digestOf(t, img)
		sig, err := seed.Signature(mustHash(t, gone), seed.WithSignedRepository(e.repo("app")))
		if err != nil {
			t.Fatal(err)
		}
		e.push("app", sigTag(gone), sig)
		if err := e.direct.DeleteDigest(t.Context(), e.reg.Repo("app"), gone, nil); err != nil {
			t.Fatal(err)
		}
	}
	rules := keepRules(t, []string{e.repo("app")}, "keep-*")
	p := e.plan(rules)
	if p.Summary.Referrers != 2 {
		t.Fatalf("want two orphan signatures planned; summary %+v\n%s", p.Summary, render(p))
	}
	if got := execute.CountManifests(p); got != 2 {
		t.Errorf("CountManifests = %d, want 2 (the orphans)", got)
	}
	if out := e.apply(rules, p, execute.Options{MaxDeletions: 1}); out.Aborted == "" || out.Summary.Deleted != 0 {
		t.Errorf("maxDeletions 1 with 2 orphans: aborted %q, %d deleted; want an abort", out.Aborted, out.Summary.Deleted)
	}
}
