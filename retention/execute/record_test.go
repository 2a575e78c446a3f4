package execute_test

import (
	"context"
	"slices"
	"testing"

	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/execute"
	"github.com/regprune/regprune/retention/job"
)

// TestRecordHoldsTagsAtDelete: the restore record holds the tags the
// manifest had when it was deleted, not the plan's (issue 22). old-b, a
// tag the plan deletes with old-a, is removed by someone else before
// apply: the record of old-a's manifest names old-a alone, and restore
// puts back old-a and not old-b.
func TestRecordHoldsTagsAtDelete(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := distribution(t)
	d := e.seed("app",
		seed.Entry{Tag: "old-a", Created: daysAgo(30)},
		seed.Entry{Tag: "old-b", Kind: seed.KindAlias, Of: "old-a"},
		seed.Entry{Tag: "keep-1", Created: daysAgo(5)},
	)
	old, repo := d["old-a"], e.repo("app")
	rules := keepRules(t, []string{repo}, "keep-*")
	p := e.plan(rules)
	if got := deletion(t, p, repo, old, retention.KindImage).Tags; !slices.Equal(got, []string{"old-a", "old-b"}) {
		t.Fatalf("the plan deletes %s with tags %v, want [old-a old-b]", old, got)
	}
	if err := e.direct.DeleteTag(ctx, e.reg.Repo("app"), "old-b"); err != nil {
		t.Fatal(err)
	}

	store := openStore(t)
	out := e.apply(rules, p, execute.Options{Recorder: store, RunID: "run-1"})
	wantStatus(t, out, repo, old, retention.KindImage, retention.StatusDeleted, "")
	recorded, err := store.Deletions("run-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(recorded) != 1 || recorded[0].Digest != old {
		t.Fatalf("recorded %d manifests, want %s alone", len(recorded), old)
	}
	if got := recorded[0].Tags; !slices.Equal(got, []string{"old-a"}) {
		t.Errorf("recorded tags %v, want the tags it had at its DELETE: [old-a]", got)
	}

	restored := job.Restore(ctx, e.direct, recorded, job.RestoreOptions{})
	if len(restored) != 1 || restored[0].Status != job.RestoreRestored || !slices.Equal(restored[0].Tags, []string{"old-a"}) {
		t.Errorf("restore: %+v, want %s restored with tag old-a", restored, old)
	}
	if got := e.resolve("app", "old-a"); got != old {
		t.Errorf("old-a points at %q after restore, want %s", got, old)
	}
	if got := e.resolve("app", "old-b"); got != "" {
		t.Errorf("old-b points at %s after restore: restore put back a tag removed before the run", got)
	}
}
