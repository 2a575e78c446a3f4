package execute_test

import (
	"context"
	"errors"
	"github.com/regprune/regprune/internal/fakeclock"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/execute"
)

// TestGate: every kind of deletion, from a saved plan and from an
// interrupted run's journal, against the gate over a fake registry:
// moved tags, forged kinds and parents, subjects that stay, kept
// indexes, rules tightened since the plan, and a resolution slower than
// the window. Each row names the digest it watches and whether it goes.
func TestGate(t *testing.T) {
	const repo = "reg.example/app"
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	ago := func(days int) time.Time { return now.AddDate(0, 0, -days) }
	agoP := func(days int) *time.Time { t := ago(days); return &t }
	// keep: K; old: O; v1: the index I listing C; sbom: S, whose subject
	// is K; U is untagged, pushed 30 days ago; P was an index deleted by
	// an interrupted run, C2 its child left pending.
	K, O, I, C, S, U, P, C2, X := fakeDigest("1"), fakeDigest("2"), fakeDigest("3"), fakeDigest("4"), fakeDigest("5"), fakeDigest("6"), fakeDigest("7"), fakeDigest("8"), fakeDigest("9")
	zero := "sha256:" + strings.Repeat("0", 64)
	base := func() *fakeRegistry {
		return &fakeRegistry{
			tags:     map[string]string{"keep": K, "old": O, "v1": I, "sbom": S},
			index:    map[string][]string{I: {C}},
			subject:  map[string]string{S: K},
			untagged: map[string]time.Time{U: ago(30)},
			created:  map[string]time.Time{K: ago(1), O: ago(40), I: ago(40), S: ago(40), C: ago(40)},
			absent:   map[string]bool{P: true},
		}
	}
	type config struct {
		minAge  int
		protect []string
		keep    []string
	}
	rules := func(c config) *retention.Rules {
		keep := append([]string{"keep*", "v*", "sbom"}, c.keep...)
		return compile(t, retention.Config{MinAge: retention.Duration(time.Duration(c.minAge) * 24 * time.Hour), Protect: retention.Protect{Tags: c.protect}, Policies: []retention.Policy{{
			Repositories: []string{repo}, Keep: []retention.KeepRule{{Tags: keep}},
			Untagged: &retention.UntaggedRule{OlderThan: retention.Duration(7 * 24 * time.Hour)},
		}}})
	}
	parent := retention.Deletion{Digest: P, Kind: retention.KindIndex, Tags: []string{"old-idx"}, Status: retention.StatusDeleted, Created: agoP(40)}
	pendingChild := retention.Deletion{Digest: C2, Kind: retention.KindChild, Parent: P}
	for _, tc := range []struct {
		name    string
		del     *retention.Deletion  // a saved plan's one deletion
		journal []retention.Deletion // or what an interrupted run left
		config  config
		change  func(f *fakeRegistry, clock *fakeclock.Clock)
		watch   string // the digest whose fate the row checks
		goes    bool
		reason  string
	}{
		{name: "image as planned", del: &retention.Deletion{Digest: O, Tags: []string{"old"}, Kind: retention.KindImage}, watch: O, goes: true},
		{name: "its tag moved", del: &retention.Deletion{Digest: O, Tags: []string{"old"}, Kind: retention.KindImage},
			change: func(f *fakeRegistry, _ *fakeclock.Clock) { f.tags["old"] = X }, watch: O, reason: "old moved"},
		{name: "a kept tag moved onto it", del: &retention.Deletion{Digest: O, Tags: []string{"old"}, Kind: retention.KindImage},
			change: func(f *fakeRegistry, _ *fakeclock.Clock) { f.tags["keep"] = O }, watch: O, reason: "keep now point at it"},
		{name: "protected since the plan", del: &retention.Deletion{Digest: O, Tags: []string{"old"}, Kind: retention.KindImage},
			config: config{protect: []string{"old"}}, watch: O, reason: "protect"},
		{name: "kept by a keep rule since the plan", del: &retention.Deletion{Digest: O, Tags: []string{"old"}, Kind: retention.KindImage},
			config: config{keep: []string{"old"}}, watch: O, reason: "the rules in force keep tag old"},
		{name: "younger than a minAge raised since", del: &retention.Deletion{Digest: O, Tags: []string{"old"}, Kind: retention.KindImage},
			config: config{minAge: 100}, watch: O, reason: "minAge"},
		{name: "forged referrer: a kept index's child", del: &retention.Deletion{Digest: C, Kind: retention.KindReferrer, Parent: zero}, watch: C, reason: "names"},
		{name: "forged child of an image", del: &retention.Deletion{Digest: C, Kind: retention.KindChild, Parent: O}, watch: C, reason: "was not deleted"},
		{name: "forged image kind for a kept index", del: &retention.Deletion{Digest: I, Tags: []string{"v1"}, Kind: retention.KindImage}, watch: I, reason: "keep"},
		{name: "forged untagged: a kept index's child", del: &retention.Deletion{Digest: C, Kind: retention.KindUntagged, Pushed: agoP(30)}, watch: C, reason: "lists it"},
		{name: "untagged as planned", del: &retention.Deletion{Digest: U, Kind: retention.KindUntagged, Pushed: agoP(30)}, watch: U, goes: true},
		{name: "forged untagged with an old push time", del: &retention.Deletion{Digest: U, Kind: retention.KindUntagged, Pushed: agoP(30)},
			change: func(f *fakeRegistry, _ *fakeclock.Clock) { f.untagged[U] = ago(1) }, watch: U, reason: "rules in force"},
		{name: "referrer whose subject stays", del: &retention.Deletion{Digest: S, Tags: []string{"sbom"}, Kind: retention.KindReferrer, Parent: K}, watch: S, reason: "subject " + K + " stays"},
		{name: "forged image with a subject that stays", del: &retention.Deletion{Digest: S, Tags: []string{"sbom"}, Kind: retention.KindImage}, watch: S, reason: "subject " + K + " stays"},
		{name: "tags alone that would leave it untagged", del: &retention.Deletion{Digest: O, Tags: []string{"old"}, Kind: retention.KindTag}, watch: "old", reason: "untagged"},
		{name: "tags alone as planned", del: &retention.Deletion{Digest: O, Tags: []string{"old"}, Kind: retention.KindTag},
			change: func(f *fakeRegistry, _ *fakeclock.Clock) { f.tags["keep-2"] = O }, watch: "old", goes: true},
		{name: "tags alone, the tag moved", del: &retention.Deletion{Digest: O, Tags: []string{"old"}, Kind: retention.KindTag},
			change: func(f *fakeRegistry, _ *fakeclock.Clock) { f.tags["keep-2"] = O; f.tags["old"] = X }, watch: "old", reason: "old moved"},
		{name: "a resolution slower than the window", del: &retention.Deletion{Digest: O, Tags: []string{"old"}, Kind: retention.KindImage},
			change: func(f *fakeRegistry, clock *fakeclock.Clock) { f.onList = func() { clock.Advance(11 * time.Second) } }, watch: O, reason: "verifyWindow"},
		{name: "journal: child of a recorded parent", journal: []retention.Deletion{parent, pendingChild}, watch: C2, goes: true},
		{name: "journal: parent not recorded", journal: []retention.Deletion{pendingChild}, watch: C2, reason: "does not hold"},
		{name: "journal: parent exists", journal: []retention.Deletion{parent, pendingChild},
			change: func(f *fakeRegistry, _ *fakeclock.Clock) { delete(f.absent, P) }, watch: C2, reason: "stays"},
		{name: "journal: parent's tag kept now", journal: []retention.Deletion{parent, pendingChild}, config: config{keep: []string{"old-idx"}}, watch: C2, reason: "would keep"},
		{name: "journal: parent too young now", journal: []retention.Deletion{parent, pendingChild}, config: config{minAge: 100}, watch: C2, reason: "would keep"},
		{name: "journal: parent kept by protect.tags now", journal: []retention.Deletion{parent, pendingChild}, config: config{protect: []string{"old-*"}}, watch: C2, reason: "would keep"},
		// A hand-edited journal: a deleted "parent" whose child is a
		// platform image of the kept index v1.
		{name: "journal: forged child of a kept index", journal: []retention.Deletion{parent, {Digest: C, Kind: retention.KindChild, Parent: P}}, watch: C, reason: "lists it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, clock := base(), fakeclock.New(time.Now())
			if tc.change != nil {
				tc.change(f, clock)
			}
			r := rules(tc.config)
			rp := retention.RepoPlan{Repository: repo, Deletions: []retention.Deletion{}}
			if tc.del != nil {
				d := *tc.del
				d.Reason = "planned"
				rp.Deletions = append(rp.Deletions, d)
			}
			j := &fakeJournal{pending: tc.journal}
			plan := &retention.Plan{SchemaVersion: retention.SchemaVersion, Mode: retention.ModePlan, Repositories: []retention.RepoPlan{rp}}
			out := execute.Apply(context.Background(), f, r, plan, now, execute.Options{Saved: true, Replan: f.replan(r), Journal: j, Clock: clock.Now})
			f.mu.Lock()
			gone := slices.Contains(f.deleted, tc.watch)
			_, tagged := f.tags[tc.watch]
			f.mu.Unlock()
			if tc.del != nil && tc.del.Kind == retention.KindTag {
				gone = !tagged
			}
			got := out.Repositories[0]
			why := got.Error + " " + strings.Join(got.Notes, " ")
			for _, d := range got.Deletions {
				why += " " + d.Reason + " " + d.Error
			}
			if gone != tc.goes {
				t.Fatalf("%s deleted: %v, want %v; reasons: %s", tc.watch, gone, tc.goes, why)
			}
			if !tc.goes && !strings.Contains(why, tc.reason) {
				t.Errorf("reasons %q, want one mentioning %q", why, tc.reason)
			}
		})
	}
}

// TestDanglingTagsThroughTheGate: a registry whose digest DELETE leaves
// the tags listed has them deleted after it, each through the gate and
// its own HEAD: a tag moved onto another manifest in between stays.
func TestDanglingTagsThroughTheGate(t *testing.T) {
	const repo = "reg.example/app"
	kept, old, other := fakeDigest("1"), fakeDigest("2"), fakeDigest("3")
	for _, moved := range []bool{false, true} {
		f := &fakeRegistry{tags: map[string]string{"keep": kept, "old": old}, dangle: true}
		if moved {
			f.onDelete = func(ref string) {
				if ref == old {
					f.tags["old"] = other // pushed by CI right after the DELETE
				}
			}
		}
		plan := &retention.Plan{SchemaVersion: retention.SchemaVersion, Mode: retention.ModePlan, Repositories: []retention.RepoPlan{{
			Repository: repo,
			Tags:       []retention.TagDecision{{Tag: "keep", Digest: kept, Action: retention.Keep}, {Tag: "old", Digest: old, Action: retention.Delete}},
			Deletions:  []retention.Deletion{{Digest: old, Tags: []string{"old"}, Kind: retention.KindImage, Reason: "planned"}},
		}}}
		out := execute.Apply(context.Background(), f, keepRules(t, []string{repo}, "keep"), plan, now, execute.Options{})
		f.mu.Lock()
		got, listed := f.tags["old"]
		f.mu.Unlock()
		d := out.Repositories[0].Deletions[0]
		switch {
		case !moved && (listed || d.Status != retention.StatusDeleted):
			t.Errorf("a dangling tag: still listed %v, deletion %s %q; want it deleted and the deletion done", listed, d.Status, d.Error)
		case moved && got != other:
			t.Errorf("a tag moved onto another manifest after the DELETE was deleted as dangling (deletion %s %q)", d.Status, d.Error)
		}
	}
}

// TestResendPassesTheGate: a DELETE the registry answers 429 is sent
// again only through the gate: when a kept tag moves onto the digest
// while apply waits, and the wait outlasts the window, the new round
// sees it and the DELETE is not sent again.
func TestResendPassesTheGate(t *testing.T) {
	const repo = "reg.example/app"
	kept, old := fakeDigest("1"), fakeDigest("2")
	for _, retag := range []bool{false, true} {
		clock := fakeclock.New(time.Now())
		f := &fakeRegistry{tags: map[string]string{"stable": kept, "old": old},
			failOnce: map[string]error{"delete " + old: &retention.SendAgainError{Err: errors.New("429 TOOMANYREQUESTS")}}}
		f.onFail = func(string) {
			if retag {
				f.tags["stable"] = old // a deploy retags while apply waits
			}
			clock.Advance(11 * time.Second)
		}
		plan := &retention.Plan{SchemaVersion: retention.SchemaVersion, Mode: retention.ModePlan, Repositories: []retention.RepoPlan{{
			Repository: repo,
			Tags:       []retention.TagDecision{{Tag: "stable", Digest: kept, Action: retention.Keep}, {Tag: "old", Digest: old, Action: retention.Delete}},
			Deletions:  []retention.Deletion{{Digest: old, Tags: []string{"old"}, Kind: retention.KindImage, Reason: "planned"}},
		}}}
		out := execute.Apply(context.Background(), f, keepRules(t, []string{repo}, "stable"), plan, now,
			execute.Options{Clock: clock.Now, DeleteBackoff: time.Millisecond})
		d := out.Repositories[0].Deletions[0]
		f.mu.Lock()
		sent, stable := len(f.sent), f.tags["stable"]
		f.mu.Unlock()
		switch {
		case !retag && (sent != 2 || d.Status != retention.StatusDeleted):
			t.Errorf("a 429, then nothing changed: %d DELETEs, %s %q; want 2 and deleted", sent, d.Status, d.Reason+d.Error)
		case retag && (sent != 1 || stable != old || d.Status != retention.StatusSkipped || !strings.Contains(d.Reason, "stable")):
			t.Errorf("a 429, then stable moved onto it: %d DELETEs, stable at %s, %s %q; want 1, stable kept, skipped naming stable", sent, stable, d.Status, d.Reason)
		}
	}
}
