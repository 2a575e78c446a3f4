package execute_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/execute"
)

// TestReverifyBeforeDeleting: right before deleting, apply re-reads the
// tags and resolves those involved. A tag moved elsewhere, or a new tag on
// the digest, cancels that deletion. A saved plan applied later re-resolves
// every tag, so even a kept tag moved onto a planned digest cancels it.
func TestReverifyBeforeDeleting(t *testing.T) {
	t.Parallel()
	for _, saved := range []bool{false, true} {
		name := "fresh plan"
		if saved {
			name = "saved plan"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := distribution(t)
			d := e.seed("app",
				seed.Entry{Tag: "old-1", Created: daysAgo(40)},
				seed.Entry{Tag: "old-2", Created: daysAgo(30)},
				seed.Entry{Tag: "old-3", Created: daysAgo(20)},
				seed.Entry{Tag: "old-4", Created: daysAgo(10)},
				seed.Entry{Tag: "keep-1", Created: daysAgo(5)},
			)
			repo := e.repo("app")
			rules := keepRules(t, []string{repo}, "keep-*")
			p := e.plan(rules)
			if saved {
				p = roundTrip(t, p)
			}

			// The registry changes between plan and apply.
			moved := e.push("app", "old-2", image(t, daysAgo(1))) // old-2 now elsewhere
			e.tag("app", "new-x", d["old-3"])                     // a new tag on a planned digest
			if saved {
				e.tag("app", "keep-1", d["old-1"]) // a kept tag moved onto a planned digest
			}

			out := e.apply(rules, p, execute.Options{Saved: saved})

			wantStatus(t, out, repo, d["old-2"], retention.KindImage, retention.StatusSkipped, "old-2 moved to "+moved)
			wantStatus(t, out, repo, d["old-3"], retention.KindImage, retention.StatusSkipped, "new-x now point at it")
			wantStatus(t, out, repo, d["old-4"], retention.KindImage, retention.StatusDeleted, "")
			wantTags := []string{"keep-1", "new-x", "old-2", "old-3"}
			if saved {
				wantStatus(t, out, repo, d["old-1"], retention.KindImage, retention.StatusSkipped, "keep-1 now point at it")
				wantTags = []string{"keep-1", "new-x", "old-1", "old-2", "old-3"}
				if got := e.resolve("app", "keep-1"); got != d["old-1"] {
					t.Errorf("keep-1 points at %q, want %s", got, d["old-1"])
				}
			} else {
				wantStatus(t, out, repo, d["old-1"], retention.KindImage, retention.StatusDeleted, "")
			}
			everyStatusSet(t, out)
			if diff := cmp.Diff(wantTags, e.tags("app")); diff != "" {
				t.Errorf("tags left (-want +got):\n%s", diff)
			}
			if got := e.resolve("app", "old-2"); got != moved {
				t.Errorf("old-2 points at %q, want the image pushed since the plan, %s", got, moved)
			}
			if got := e.resolve("app", "new-x"); got != d["old-3"] {
				t.Errorf("new-x points at %q, want %s", got, d["old-3"])
			}
			for _, ref := range deletes(e.proxy) {
				for _, dg := range []string{d["old-2"], d["old-3"], moved} {
					if strings.HasSuffix(ref, "@"+dg) {
						t.Errorf("DELETE %s: the deletion was cancelled", ref)
					}
				}
				if strings.HasSuffix(ref, "@old-2") || strings.HasSuffix(ref, "@new-x") {
					t.Errorf("DELETE %s: the tag changed since the plan", ref)
				}
			}
		})
	}
}

// TestUnresolvedTagBlocksDigestDeletes: a tag that cannot be resolved
// right before deleting (its manifest answered 503 after its retries) might
// point at any manifest, so nothing in that repository is deleted, and
// the repository fails: the run exits 1 instead of passing for a run that
// pruned.
func TestUnresolvedTagBlocksDigestDeletes(t *testing.T) {
	t.Parallel()
	e := distribution(t)
	d := e.seed("app",
		seed.Entry{Tag: "old-1", Created: daysAgo(40)},
		seed.Entry{Tag: "old-2", Created: daysAgo(30)},
		seed.Entry{Tag: "keep-2", Kind: seed.KindAlias, Of: "old-2"},
		seed.Entry{Tag: "keep-1", Created: daysAgo(5)},
	)
	repo := e.repo("app")
	rules := keepRules(t, []string{repo}, "keep-*")
	p := e.plan(rules)
	e.tag("app", "new-x", d["keep-1"])
	e.proxy.Inject(registrytest.Fault{Match: func(r *http.Request) bool {
		return r.URL.Path == "/v2/app/manifests/new-x"
	}, Status: http.StatusServiceUnavailable})

	out := e.apply(rules, p, execute.Options{})

	wantStatus(t, out, repo, d["old-1"], retention.KindImage, retention.StatusSkipped, "re-reading the repository before deleting failed")
	wantStatus(t, out, repo, d["old-2"], retention.KindTag, retention.StatusSkipped, "re-reading the repository before deleting failed")
	everyStatusSet(t, out)
	if !e.exists("app", d["old-1"]) {
		t.Errorf("old-1's manifest was deleted although new-x could not be resolved")
	}
	if rp := repoPlan(t, out, repo); !strings.Contains(rp.Error, "new-x") || out.Summary.Failed != 1 {
		t.Errorf("repository error %q, %d failed repositories; want the repository failed naming new-x", rp.Error, out.Summary.Failed)
	}
}

// TestDeleteAlreadyGone: a manifest deleted by someone else between the
// plan and its DELETE (another apply a second earlier) answers 404: it is
// reported skipped as already gone, not counted as deleted by this run.
func TestDeleteAlreadyGone(t *testing.T) {
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
	if err := e.direct.DeleteDigest(t.Context(), e.reg.Repo("app"), d["old-1"], nil); err != nil {
		t.Fatal(err)
	}
	out := e.apply(rules, p, execute.Options{})
	wantStatus(t, out, repo, d["old-1"], retention.KindImage, retention.StatusSkipped, "already gone")
	wantStatus(t, out, repo, d["old-2"], retention.KindImage, retention.StatusDeleted, "")
	if out.Summary.Deleted != 1 {
		t.Errorf("%d deleted, want 1 (old-1 was deleted by someone else)", out.Summary.Deleted)
	}
}

// TestDeleteThatDeletedNothing: a registry that answers 202 to every
// DELETE and deletes nothing is caught by the re-listing after the
// repository's deletions: what is still listed is reported failed.
func TestDeleteThatDeletedNothing(t *testing.T) {
	t.Parallel()
	e := distribution(t)
	d := e.seed("app",
		seed.Entry{Tag: "old-1", Created: daysAgo(40)},
		seed.Entry{Tag: "keep-1", Created: daysAgo(5)},
	)
	repo := e.repo("app")
	rules := keepRules(t, []string{repo}, "keep-*")
	p := e.plan(rules)
	e.proxy.Inject(registrytest.Fault{Match: func(r *http.Request) bool { return r.Method == http.MethodDelete }, Status: http.StatusAccepted, Body: " "})
	out := e.apply(rules, p, execute.Options{})
	del := deletion(t, out, repo, d["old-1"], retention.KindImage)
	if del.Status != retention.StatusFailed || !strings.Contains(del.Error, "still listed") {
		t.Errorf("old-1: %s %q, want failed: still listed", del.Status, del.Error)
	}
	if out.Summary.Deleted != 0 {
		t.Errorf("%d deleted, want 0", out.Summary.Deleted)
	}
}
