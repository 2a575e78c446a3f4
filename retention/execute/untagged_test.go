package execute_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/execute"
	"github.com/regprune/regprune/retention/manifest"
)

// TestForgedUntaggedDeletions: an untagged deletion in a saved plan is
// checked again at apply, whoever wrote the plan: it runs only when the
// rules in force would plan it (an untagged rule governs the repository,
// the push time is known and old enough, minAge too), when it names no
// tags, and when no tagged index lists it now.
func TestForgedUntaggedDeletions(t *testing.T) {
	const repo = "reg.example/app"
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	u, idx, kept := fakeDigest("a"), fakeDigest("b"), fakeDigest("c")
	ago := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
	rules := func(older, minAge time.Duration) *retention.Rules {
		return compile(t, retention.Config{MinAge: retention.Duration(minAge), Policies: []retention.Policy{{
			Repositories: []string{repo}, Keep: []retention.KeepRule{{Tags: []string{"keep"}}},
			Untagged: &retention.UntaggedRule{OlderThan: retention.Duration(older)},
		}}})
	}
	noUntaggedRule := compile(t, retention.Config{Policies: []retention.Policy{keepPolicy([]string{repo}, "keep")}})
	for _, tc := range []struct {
		name   string
		rules  *retention.Rules
		del    retention.Deletion
		change func(*fakeRegistry)
		status retention.Status
		reason string
	}{
		{"as planned", rules(7*24*time.Hour, 0), retention.Deletion{Pushed: ago(30 * 24 * time.Hour)}, nil, retention.StatusDeleted, ""},
		{"younger than olderThan", rules(7*24*time.Hour, 0), retention.Deletion{Pushed: ago(time.Hour)}, nil, retention.StatusSkipped, "younger than untagged.olderThan"},
		{"younger than minAge", rules(0, 48*time.Hour), retention.Deletion{Pushed: ago(time.Hour)}, nil, retention.StatusSkipped, "minAge"},
		{"push time unknown", rules(0, 0), retention.Deletion{}, nil, retention.StatusSkipped, "unknown"},
		{"no untagged rule in force", noUntaggedRule, retention.Deletion{Pushed: ago(30 * 24 * time.Hour)}, nil, retention.StatusSkipped, "untagged"},
		{"names tags", rules(0, 0), retention.Deletion{Pushed: ago(30 * 24 * time.Hour), Tags: []string{"x"}}, func(f *fakeRegistry) { f.tags["x"] = u }, retention.StatusSkipped, "names tags"},
		{"listed by an index tagged since", rules(0, 0), retention.Deletion{Pushed: ago(30 * 24 * time.Hour)}, func(f *fakeRegistry) {
			f.tags["v2"] = fakeDigest("d")
			f.index = map[string][]string{fakeDigest("d"): {u}}
		}, retention.StatusSkipped, "the rules in force do not delete"},
		// A child of a kept index, forged into the plan as untagged.
		{"listed by a kept index", rules(0, 0), retention.Deletion{Pushed: ago(30 * 24 * time.Hour)}, func(f *fakeRegistry) {
			f.tags["v1"] = idx
			f.index = map[string][]string{idx: {u}}
		}, retention.StatusSkipped, "the rules in force do not delete"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeRegistry{tags: map[string]string{"keep": kept}, untagged: map[string]time.Time{u: now.AddDate(0, 0, -30)}}
			if tc.change != nil {
				tc.change(f)
			}
			d := tc.del
			d.Digest, d.Kind, d.Reason = u, retention.KindUntagged, "untagged, pushed long ago"
			plan := &retention.Plan{SchemaVersion: retention.SchemaVersion, Mode: retention.ModePlan, Repositories: []retention.RepoPlan{{
				Repository: repo,
				Tags: []retention.TagDecision{
					{Tag: "keep", Digest: kept, Action: retention.Keep},
					{Tag: "v1", Digest: idx, MediaType: manifest.MediaTypeOCIIndex, Action: retention.Keep},
				},
				Deletions: []retention.Deletion{d},
			}}}
			out := execute.Apply(context.Background(), f, tc.rules, plan, now, execute.Options{Saved: true, Replan: f.replan(tc.rules)})
			got := out.Repositories[0].Deletions[0]
			if got.Status != tc.status || !strings.Contains(got.Reason+got.Error, tc.reason) {
				t.Errorf("%s (reason %q, error %q), want %s with %q", got.Status, got.Reason, got.Error, tc.status, tc.reason)
			}
			deleted := strings.Join(f.deleted, " ")
			if (tc.status == retention.StatusDeleted) != strings.Contains(deleted, u) {
				t.Errorf("deleted %q; status %s", deleted, got.Status)
			}
			if _, ok := f.tags["keep"]; !ok {
				t.Error("the kept tag was deleted")
			}
		})
	}
}

// TestMinAgeByFirstSeen: at apply, a tag of unknown creation time is
// held to minAge by the first-seen time the fresh listing has (from the
// state directory), and kept without one, whatever the plan recorded.
func TestMinAgeByFirstSeen(t *testing.T) {
	const repo = "reg.example/app"
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	old, kept := fakeDigest("a"), fakeDigest("c")
	rules := compile(t, retention.Config{MinAge: retention.Duration(24 * time.Hour), Policies: []retention.Policy{keepPolicy([]string{repo}, "keep")}})
	for _, tc := range []struct {
		name      string
		firstSeen *time.Time
		status    retention.Status
	}{
		{"first seen long ago", ptrTime(now.Add(-72 * time.Hour)), retention.StatusDeleted},
		{"first seen just now", ptrTime(now.Add(-time.Hour)), retention.StatusSkipped},
		{"never seen", nil, retention.StatusSkipped},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeRegistry{tags: map[string]string{"keep": kept, "old": old}}
			if tc.firstSeen != nil {
				f.firstSeen = map[string]time.Time{old: *tc.firstSeen}
			}
			long := now.Add(-1000 * time.Hour) // a forged plan cannot make it old
			plan := &retention.Plan{SchemaVersion: retention.SchemaVersion, Mode: retention.ModePlan, Repositories: []retention.RepoPlan{{
				Repository: repo,
				Tags: []retention.TagDecision{
					{Tag: "keep", Digest: kept, Action: retention.Keep},
					{Tag: "old", Digest: old, Action: retention.Delete, FirstSeen: &long},
				},
				Deletions: []retention.Deletion{{Digest: old, Tags: []string{"old"}, Kind: retention.KindImage, Reason: "every tag on it is deleted"}},
			}}}
			out := execute.Apply(context.Background(), f, rules, plan, now, execute.Options{Saved: true, Replan: f.replan(rules)})
			if got := out.Repositories[0].Deletions[0]; got.Status != tc.status {
				t.Errorf("%s (%q), want %s", got.Status, got.Reason, tc.status)
			}
		})
	}
}

func ptrTime(t time.Time) *time.Time { return &t }

// TestChildTheRegistryKeeps: a child the registry refuses to delete as
// still referenced (Docker Hub, for a platform image of a multi-arch
// index) is skipped with the registry's message, not failed.
func TestChildTheRegistryKeeps(t *testing.T) {
	const repo = "reg.example/app"
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	idx, child, kept := fakeDigest("b"), fakeDigest("d"), fakeDigest("c")
	f := &fakeRegistry{tags: map[string]string{"keep": kept, "old": idx}, index: map[string][]string{idx: {child}},
		fail: map[string]error{"delete " + child: fmt.Errorf("403 The manifest may still be referenced: %w", retention.ErrReferenced)}}
	plan := &retention.Plan{SchemaVersion: retention.SchemaVersion, Mode: retention.ModePlan, Repositories: []retention.RepoPlan{{
		Repository: repo,
		Tags: []retention.TagDecision{
			{Tag: "keep", Digest: kept, Action: retention.Keep},
			{Tag: "old", Digest: idx, MediaType: manifest.MediaTypeOCIIndex, Action: retention.Delete},
		},
		Deletions: []retention.Deletion{
			{Digest: idx, Tags: []string{"old"}, Kind: retention.KindIndex, Reason: "every tag on it is deleted"},
			{Digest: child, Kind: retention.KindChild, Parent: idx, Reason: "child of deleted index"},
		},
	}}}
	out := execute.Apply(context.Background(), f, keepRules(t, []string{repo}, "keep"), plan, now, execute.Options{})
	ds := out.Repositories[0].Deletions
	if ds[0].Status != retention.StatusDeleted {
		t.Errorf("index: %s %q", ds[0].Status, ds[0].Error)
	}
	if ds[1].Status != retention.StatusSkipped || !strings.Contains(ds[1].Reason, "may still be referenced") {
		t.Errorf("child: %s (reason %q, error %q), want skipped with the registry's message", ds[1].Status, ds[1].Reason, ds[1].Error)
	}
}
