package execute_test

import (
	"context"
	"github.com/regprune/regprune/internal/fakeclock"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/execute"
	"github.com/regprune/regprune/retention/state"
)

// The findings of the third outside attack on apply: each was a wrong
// deletion at exit 0, on a road to a DELETE that skipped a check. Each
// finding is a scenario that returns the wrong deletions it saw: none
// with the gate (TestFindings), some without it (TestFindingsNeedTheGate),
// so the gate is proven to be what holds them.
var findings = []struct {
	name string
	run  func(t *testing.T, gate func(execute.Options) execute.Options) (wrong []string)
}{
	{"1 journal recovery under tightened rules", findingJournalRules},
	{"2 kept tag moved onto a doomed digest mid-apply", findingTagMovedMidApply},
	{"3 tag-only deletion of a tag pushed again mid-apply", findingTagOnlyMoved},
	{"4 forged referrer of a kept index's child", findingForgedReferrer},
	{"5 tagged SBOM with an SPDX config whose subject stays", findingTaggedSBOM},
}

func gateOn(o execute.Options) execute.Options { return o }

func TestFindings(t *testing.T) {
	t.Parallel()
	for _, f := range findings {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			if wrong := f.run(t, gateOn); len(wrong) > 0 {
				t.Errorf("wrong deletions: %s", strings.Join(wrong, "; "))
			}
		})
	}
}

func TestFindingsNeedTheGate(t *testing.T) {
	t.Parallel()
	for _, f := range findings {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			if wrong := f.run(t, execute.WithoutGate); len(wrong) == 0 {
				t.Errorf("with the gate off nothing wrong was deleted: the scenario does not test the gate")
			}
		})
	}
}

// findingJournalRules (1): an apply killed right after deleting an index
// leaves its children pending; the rules are then tightened (minAge
// 365d), so a plan would keep that index. The next apply must not delete
// the children: the rules in force would not delete their parent.
func findingJournalRules(t *testing.T, gate func(execute.Options) execute.Options) []string {
	e, store, children := interruptedIndex(t)
	repo := e.repo("app")

	tight := compile(t, retention.Config{MinAge: retention.Duration(365 * 24 * time.Hour), Policies: []retention.Policy{
		{Repositories: []string{repo}, Keep: []retention.KeepRule{{Tags: []string{"keep-*"}}}, Untagged: &retention.UntaggedRule{OlderThan: retention.Duration(3650 * 24 * time.Hour)}},
	}})
	out := e.apply(tight, e.plan(tight), gate(execute.Options{Journal: store}))
	var wrong []string
	for _, c := range children {
		if !e.exists("app", c) {
			wrong = append(wrong, "child "+c+" of an index the rules in force keep was deleted")
		}
	}
	if len(wrong) == 0 && !strings.Contains(strings.Join(repoPlan(t, out, repo).Notes, "\n"), "dropped") {
		t.Errorf("no note says the pending children were dropped:\n%s", render(out))
	}
	return wrong
}

// interruptedIndex seeds app with an old index and keep-1, and applies
// "keep keep-*" with a journal, stopped right after the index's DELETE:
// its children are left pending. It returns the registry, the journal
// and the children.
func interruptedIndex(t *testing.T) (*env, *state.Store, []string) {
	t.Helper()
	e := distribution(t)
	d := e.seed("app",
		seed.Entry{Tag: "old-idx", Kind: seed.KindIndex, Created: daysAgo(25)},
		seed.Entry{Tag: "keep-1", Created: daysAgo(5)},
	)
	children := e.children("app", d["old-idx"])
	store := openStore(t)
	killAfterDelete(e, store, keepRules(t, []string{e.repo("app")}, "keep-*"), d["old-idx"])
	return e, store, children
}

// killAfterDelete applies rules with store as its journal and stops the
// run (as SIGINT does) right after the DELETE of digest: what follows
// it stays pending in the journal.
func killAfterDelete(e *env, store *state.Store, rules *retention.Rules, digest string) {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e.proxy.Before(func(r *http.Request) {
		if r.Method == http.MethodDelete && strings.HasSuffix(r.URL.Path, "/manifests/"+digest) {
			cancel()
		}
	})
	p := e.plan(rules)
	execute.Apply(ctx, e.client, rules, p, now, execute.Options{Journal: store, Concurrency: 1, Replan: replanner(e.client, rules)})
	e.proxy.Before(nil)
	if e.exists("app", digest) {
		e.t.Fatalf("the interrupted run did not delete %s", digest)
	}
	pending, err := store.Pending(e.repo("app"))
	if err != nil || len(pending) < 2 {
		e.t.Fatalf("journal after the kill: %v, %v; want the deleted parent and what follows it", pending, err)
	}
}

func openStore(t *testing.T) *state.Store {
	t.Helper()
	store, _, err := state.Open(t.TempDir(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// children returns the digests the index digest of name lists.
func (e *env) children(name, digest string) []string {
	e.t.Helper()
	ds, err := e.direct.Children(context.Background(), e.reg.Repo(name), digest)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, d := range ds {
		out = append(out, d.Digest.String())
	}
	return out
}

// findingTagMovedMidApply (2): stable, a kept tag, is moved onto old-2's
// digest while apply deletes old-1, and that DELETE takes longer than
// the window. Resolving only the tags new since the last listing misses
// the move; the gate resolves every tag again and keeps old-2.
func findingTagMovedMidApply(t *testing.T, gate func(execute.Options) execute.Options) []string {
	e := distribution(t)
	d := e.seed("app",
		seed.Entry{Tag: "old-1", Created: daysAgo(40)},
		seed.Entry{Tag: "old-2", Created: daysAgo(30)},
		seed.Entry{Tag: "stable", Created: daysAgo(5)},
	)
	repo := e.repo("app")
	rules := keepRules(t, []string{repo}, "stable")
	p := e.plan(rules)
	clock := fakeclock.New(time.Now())
	var (
		mu    sync.Mutex
		moved bool
		sent  []time.Time // the fake time of each digest DELETE
	)
	e.proxy.Before(func(r *http.Request) {
		if r.Method != http.MethodDelete {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		sent = append(sent, clock.Now())
		if !moved && strings.HasSuffix(r.URL.Path, d["old-1"]) {
			moved = true
			e.tag("app", "stable", d["old-2"]) // a deploy pipeline retags
			clock.Advance(12500 * time.Millisecond)
		}
	})
	out := e.apply(rules, p, gate(execute.Options{Concurrency: 1, Clock: clock.Now}))
	var wrong []string
	if e.resolve("app", "stable") == "" {
		wrong = append(wrong, "stable, a kept tag moved onto old-2's digest, was deleted with it")
	}
	if len(wrong) == 0 {
		wantStatus(t, out, repo, d["old-2"], retention.KindImage, retention.StatusSkipped, "stable")
		if g := repoPlan(t, out, repo).Gate; g == nil || g.Rounds != 2 || time.Duration(g.LargestWindow) >= execute.DefaultVerifyWindow {
			t.Errorf("gate %+v, want 2 rounds and every request within the window", g)
		}
	}
	return wrong
}

// findingTagOnlyMoved (3): a tag-only deletion (GHCR's placeholder PUT,
// a tag DELETE elsewhere) of pr-040 while a build is pushed as pr-040
// after the first check: the tag would leave the new build untagged.
func findingTagOnlyMoved(t *testing.T, gate func(execute.Options) execute.Options) []string {
	const repo = "reg.example/app"
	kept, build := fakeDigest("1"), fakeDigest("2")
	f := &fakeRegistry{tags: map[string]string{"main": kept, "pr-039": kept, "pr-040": kept}}
	clock := fakeclock.New(time.Now())
	f.onDelete = func(ref string) {
		if ref == "pr-039" {
			f.tags["pr-040"] = build // pushed by CI (onDelete runs under the fake's lock)
			clock.Advance(13 * time.Second)
		}
	}
	rules := keepRules(t, []string{repo}, "main")
	plan := &retention.Plan{SchemaVersion: retention.SchemaVersion, Mode: retention.ModePlan, Repositories: []retention.RepoPlan{{
		Repository: repo,
		Tags: []retention.TagDecision{
			{Tag: "main", Digest: kept, Action: retention.Keep},
			{Tag: "pr-039", Digest: kept, Action: retention.Delete},
			{Tag: "pr-040", Digest: kept, Action: retention.Delete},
		},
		Deletions: []retention.Deletion{{Digest: kept, Tags: []string{"pr-039", "pr-040"}, Kind: retention.KindTag, Reason: "main keeps the manifest"}},
	}}}
	out := execute.Apply(context.Background(), f, rules, plan, now, gate(execute.Options{Concurrency: 1, Clock: clock.Now, Replan: f.replan(rules)}))
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tags["pr-040"] != build {
		return []string{"pr-040, pushed again onto a new build mid-apply, was deleted (the build is left untagged)"}
	}
	// pr-039 went, pr-040 stayed: the deletion is done for pr-039 alone.
	if d := out.Repositories[0].Deletions[0]; d.Status != retention.StatusDeleted || !slices.Equal(d.Tags, []string{"pr-039"}) || !strings.Contains(d.Reason, "pr-040 moved") {
		t.Errorf("tag-only deletion: %s %v %q, want deleted for pr-039 alone, naming pr-040's move", d.Status, d.Tags, d.Reason)
	}
	return nil
}

// findingForgedReferrer (4): a hand-edited saved plan adds a "referrer"
// of a made-up parent whose digest is a platform image of the kept
// index v2.0.0. Checking only that the parent is absent deletes it.
func findingForgedReferrer(t *testing.T, gate func(execute.Options) execute.Options) []string {
	e := distribution(t)
	d := e.seed("app",
		seed.Entry{Tag: "v2.0.0", Kind: seed.KindIndex, Created: daysAgo(40)},
		seed.Entry{Tag: "old", Created: daysAgo(40)},
	)
	child := e.children("app", d["v2.0.0"])[0]
	repo := e.repo("app")
	rules := keepRules(t, []string{repo}, "v*")
	p := roundTrip(t, e.plan(rules))
	rp := repoPlan(t, p, repo)
	rp.Deletions = append(rp.Deletions, retention.Deletion{Kind: retention.KindReferrer, Parent: "sha256:" + strings.Repeat("0", 64), Digest: child, Reason: "forged"})
	out := e.apply(rules, p, gate(execute.Options{Saved: true}))
	if !e.exists("app", child) {
		return []string{"the platform image " + child + " of the kept index v2.0.0 was deleted"}
	}
	wantStatus(t, out, repo, d["old"], retention.KindImage, retention.StatusDeleted, "")
	return nil
}

// findingTaggedSBOM (5): an SBOM pushed with config.mediaType
// application/spdx+json, a subject old and its own tag sbom-old. When
// old is saved by a tag that lands before apply --plan, sbom-old stays.
func findingTaggedSBOM(t *testing.T, gate func(execute.Options) execute.Options) []string {
	e := distribution(t)
	old := image(t, daysAgo(30))
	subject, err := seed.Descriptor(old)
	if err != nil {
		t.Fatal(err)
	}
	d := map[string]string{"old": e.push("app", "old", old), "keep-1": e.push("app", "keep-1", image(t, daysAgo(5)))}
	img, err := seed.Image(daysAgo(30))
	if err != nil {
		t.Fatal(err)
	}
	// The subject is set last: mutating the config's media type drops it.
	spdx, ok := mutate.Subject(mutate.ConfigMediaType(img, "application/spdx+json"), subject).(v1.Image)
	if !ok {
		t.Fatal("mutate.Subject did not return an image")
	}
	sbom := e.push("app", "sbom-old", spdx)
	repo := e.repo("app")
	rules := keepRules(t, []string{repo}, "keep-*")
	p := roundTrip(t, e.plan(rules))
	if got := deletion(t, p, repo, sbom, "").Kind; got != retention.KindReferrer {
		t.Errorf("sbom-old planned as %s, want a referrer of old", got)
	}
	e.tag("app", "new-x", d["old"])
	out := e.apply(rules, p, gate(execute.Options{Saved: true}))
	if !e.exists("app", sbom) {
		t.Logf("%s", render(out))
		return []string{"sbom-old was deleted while its subject old stays"}
	}
	return nil
}

// TestBrakeCountsPending: maxDeletions counts the deletions an
// interrupted run left pending that the gate would pass, before the
// first DELETE: over the limit, nothing is deleted, those included.
func TestBrakeCountsPending(t *testing.T) {
	t.Parallel()
	e, store, children := interruptedIndex(t)
	repo := e.repo("app")
	rules := keepRules(t, []string{repo}, "keep-*")

	out := e.apply(rules, e.plan(rules), execute.Options{Journal: store, MaxDeletions: 1})
	if !strings.Contains(out.Aborted, "left pending by an interrupted run") {
		t.Errorf("aborted %q, want the brake to count the %d pending children", out.Aborted, len(children))
	}
	for _, c := range children {
		if !e.exists("app", c) {
			t.Errorf("child %s deleted past maxDeletions", c)
		}
	}
	// Within the limit, the next run finishes them.
	out = e.apply(rules, e.plan(rules), execute.Options{Journal: store, MaxDeletions: 2})
	for _, c := range children {
		if e.exists("app", c) {
			t.Errorf("child %s of the deleted index still there:\n%s", c, render(out))
		}
	}
}
