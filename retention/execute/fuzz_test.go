package execute_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/execute"
	"github.com/regprune/regprune/retention/report"
)

// FuzzSavedPlan feeds apply --plan saved plans, hand-edited or random
// (any JSON that ReadPlan accepts), against a seeded registry: whatever
// the plan says, nothing that a fresh plan of the registry keeps is ever
// deleted, no tag it keeps and no manifest it does not delete by digest.
func FuzzSavedPlan(f *testing.F) {
	const repo = "reg.example/app"
	K, O, I, C, S, U := fakeDigest("1"), fakeDigest("2"), fakeDigest("3"), fakeDigest("4"), fakeDigest("5"), fakeDigest("6")
	zero := "sha256:" + strings.Repeat("0", 64)
	pushed := fuzzNow.AddDate(0, 0, -30)
	for _, ds := range [][]retention.Deletion{
		{{Digest: O, Tags: []string{"old"}, Kind: retention.KindImage}},
		{{Digest: K, Tags: []string{"keep"}, Kind: retention.KindImage}},
		{{Digest: C, Kind: retention.KindReferrer, Parent: zero}},
		{{Digest: C, Kind: retention.KindChild, Parent: I}},
		{{Digest: I, Tags: []string{"v1"}, Kind: retention.KindIndex}, {Digest: C, Kind: retention.KindChild, Parent: I}},
		{{Digest: C, Kind: retention.KindUntagged, Pushed: &pushed}},
		{{Digest: U, Kind: retention.KindUntagged, Pushed: &pushed}},
		{{Digest: S, Tags: []string{"sbom"}, Kind: retention.KindReferrer, Parent: K}},
		{{Digest: K, Tags: []string{"keep"}, Kind: retention.KindTag}},
		{{Digest: O, Tags: []string{"old", "keep"}, Kind: retention.KindImage}},
	} {
		b, err := json.Marshal(retention.Plan{SchemaVersion: retention.SchemaVersion, Mode: retention.ModePlan,
			Repositories: []retention.RepoPlan{{Repository: repo, Policies: []string{"p"}, Tags: []retention.TagDecision{}, Deletions: ds}}})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		plan, err := report.ReadPlan(bytes.NewReader(data))
		if err != nil {
			return // refused: nothing is applied
		}
		reg := fuzzRegistry()
		rules := compile(t, retention.Config{Policies: []retention.Policy{{Name: "p",
			Repositories: []string{repo}, Keep: []retention.KeepRule{{Tags: []string{"keep*", "v*", "sbom"}}},
			Untagged: &retention.UntaggedRule{OlderThan: retention.Duration(7 * 24 * time.Hour)},
		}}})
		_, fresh, _, _ := reg.replan(rules)(context.Background(), repo, fuzzNow)
		goes := map[string]bool{}
		for _, d := range fresh.Deletions {
			if d.Kind != retention.KindTag {
				goes[d.Digest] = true
			}
			for _, tag := range d.Tags {
				goes[tag] = true
			}
		}
		tagsBefore := map[string]string{}
		for tag, d := range reg.tags {
			tagsBefore[tag] = d
		}
		execute.Apply(context.Background(), reg, rules, plan, fuzzNow, execute.Options{Saved: true, Replan: reg.replan(rules), Concurrency: 2})
		reg.mu.Lock()
		defer reg.mu.Unlock()
		for _, d := range reg.deleted {
			if strings.HasPrefix(d, "sha256:") && !goes[d] {
				t.Errorf("deleted %s, which a fresh plan keeps", d)
			}
		}
		for tag := range tagsBefore {
			if _, still := reg.tags[tag]; !still && !goes[tag] {
				t.Errorf("tag %s deleted, which a fresh plan keeps", tag)
			}
		}
		if slices.Contains(reg.deleted, C) {
			t.Errorf("the kept index's child was deleted")
		}
	})
}

var fuzzNow = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// fuzzRegistry is TestGate's registry: keep → K, old → O, v1 → the
// index I listing C, sbom → S whose subject is K, U untagged.
func fuzzRegistry() *fakeRegistry {
	K, O, I, C, S, U := fakeDigest("1"), fakeDigest("2"), fakeDigest("3"), fakeDigest("4"), fakeDigest("5"), fakeDigest("6")
	ago := func(days int) time.Time { return fuzzNow.AddDate(0, 0, -days) }
	return &fakeRegistry{
		tags:     map[string]string{"keep": K, "old": O, "v1": I, "sbom": S},
		index:    map[string][]string{I: {C}},
		subject:  map[string]string{S: K},
		untagged: map[string]time.Time{U: ago(30)},
		created:  map[string]time.Time{K: ago(1), O: ago(40), I: ago(40), S: ago(40), C: ago(40)},
	}
}
