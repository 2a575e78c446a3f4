package execute_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/execute"
)

func sigTag(digest string) string { return strings.Replace(digest, ":", "-", 1) + ".sig" }

// TestReferrersFollowSubject: signatures, attestations and SBOMs follow
// their subject, through the tag scheme on Distribution and through the
// referrers API on the in-memory registry. A deleted image's go after it;
// an image that is kept, even one whose deletion is cancelled at apply
// time, never loses one.
func TestReferrersFollowSubject(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		env   func(t *testing.T) *env
		kind  seed.Kind
		refOf func(d map[string]string, subject string) string
	}{
		{
			name:  "Distribution tag scheme",
			env:   func(t *testing.T) *env { return distribution(t) },
			kind:  seed.KindSignature,
			refOf: func(d map[string]string, subject string) string { return d[sigTag(d[subject])] },
		},
		{
			name:  "in-memory referrers API",
			env:   func(t *testing.T) *env { return newEnv(t, registrytest.InMemory(t, true)) },
			kind:  seed.KindReferrer,
			refOf: func(d map[string]string, subject string) string { return d["sbom-"+subject] },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := tc.env(t)
			var entries []seed.Entry
			for i, tag := range []string{"old-1", "old-2", "keep-1"} {
				ref := seed.Entry{Kind: tc.kind, Of: tag} // a signature goes under its sha256-<hex>.sig tag
				if tc.kind == seed.KindReferrer {
					ref.Tag = "sbom-" + tag // names it in History's result only
				}
				entries = append(entries, seed.Entry{Tag: tag, Created: daysAgo(30 - i)}, ref)
			}
			d := e.seed("app", entries...)
			old1, old2, keep1 := d["old-1"], d["old-2"], d["keep-1"]
			ref1, ref2, refKeep := tc.refOf(d, "old-1"), tc.refOf(d, "old-2"), tc.refOf(d, "keep-1")
			repo := e.repo("app")
			rules := keepRules(t, []string{repo}, "keep-*")
			p := e.plan(rules)
			deletion(t, p, repo, ref1, retention.KindReferrer)
			deletion(t, p, repo, ref2, retention.KindReferrer)
			// old-2 is kept after all: a tag arrives on it before apply.
			e.tag("app", "new-x", old2)
			e.proxy.Reset()

			out := e.apply(rules, p, execute.Options{})

			wantStatus(t, out, repo, old1, retention.KindImage, retention.StatusDeleted, "")
			wantStatus(t, out, repo, ref1, retention.KindReferrer, retention.StatusDeleted, "")
			wantStatus(t, out, repo, old2, retention.KindImage, retention.StatusSkipped, "new-x")
			wantStatus(t, out, repo, ref2, retention.KindReferrer, retention.StatusSkipped, "its subject "+old2+" stays")
			everyStatusSet(t, out)

			got := deletes(e.proxy)
			subject := slices.Index(got, "app@"+old1)
			if subject < 0 {
				t.Fatalf("no DELETE of old-1's manifest; DELETEs: %v", got)
			}
			for i, ref := range got {
				if strings.HasSuffix(ref, ref1) || (tc.kind == seed.KindSignature && strings.HasSuffix(ref, sigTag(old1))) {
					if i < subject {
						t.Errorf("DELETE %s came before its subject's; DELETEs: %v", ref, got)
					}
				}
			}
			for _, dg := range []string{old2, ref2, keep1, refKeep} {
				if !e.exists("app", dg) {
					t.Errorf("%s was deleted; it or its subject is kept", dg)
				}
			}
			if e.exists("app", ref1) {
				t.Errorf("old-1's referrer %s still exists", ref1)
			}
			if tc.kind == seed.KindSignature {
				for _, s := range []string{old2, keep1} {
					if e.resolve("app", sigTag(s)) == "" {
						t.Errorf("signature tag %s of a kept image is gone", sigTag(s))
					}
				}
			}
		})
	}
}

// TestOrphanReferrerTag: a signature tag whose subject no longer exists
// (deleted outside regprune, or by a run that stopped half way) is
// deleted on the next run, unless the subject is back by then.
func TestOrphanReferrerTag(t *testing.T) {
	t.Parallel()
	for _, back := range []bool{false, true} {
		name := "subject gone"
		if back {
			name = "subject pushed again before apply"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := distribution(t)
			img := image(t, daysAgo(30))
			e.push("app", "gone", img)
			d := e.seed("app",
				seed.Entry{Tag: "keep-1", Created: daysAgo(5)},
				seed.Entry{Kind: seed.KindSignature, Of: "keep-1"},
			)
			gone := digestOf(t, img)
			sig, err := seed.Signature(mustHash(t, gone), seed.WithSignedRepository(e.repo("app")))
			if err != nil {
				t.Fatal(err)
			}
			orphan := e.push("app", sigTag(gone), sig)
			if err := e.direct.DeleteDigest(context.Background(), e.reg.Repo("app"), gone, nil); err != nil {
				t.Fatal(err)
			}
			repo := e.repo("app")
			rules := keepRules(t, []string{repo}, "keep-*")
			p := e.plan(rules)
			if got := deletion(t, p, repo, orphan, retention.KindReferrer).Parent; got != gone {
				t.Fatalf("the orphan's deletion follows %s, want %s", got, gone)
			}
			if back {
				e.push("app", "back", img)
			}

			out := e.apply(rules, p, execute.Options{})

			if back {
				wantStatus(t, out, repo, orphan, retention.KindReferrer, retention.StatusSkipped, "stays")
			} else {
				wantStatus(t, out, repo, orphan, retention.KindReferrer, retention.StatusDeleted, "")
			}
			everyStatusSet(t, out)
			if got := e.exists("app", orphan); got != back {
				t.Errorf("the signature exists: %v, want %v", got, back)
			}
			if !e.exists("app", d[sigTag(d["keep-1"])]) {
				t.Errorf("keep-1's signature was deleted")
			}
		})
	}
}
