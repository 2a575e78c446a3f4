package execute_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/execute"
	"github.com/regprune/regprune/retention/registry"
)

// fakeJournal records what the executor journals.
type fakeJournal struct {
	mu      sync.Mutex
	begun   []string
	settled []string
	cleared bool
	// pending is what an earlier run left (Pending's answer).
	pending []retention.Deletion
}

func (j *fakeJournal) Begin(_ string, dels []retention.Deletion) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, d := range dels {
		j.begun = append(j.begun, d.Digest)
	}
	return nil
}

func (j *fakeJournal) Settle(_ string, d retention.Deletion) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.settled = append(j.settled, d.Digest)
	return nil
}

func (j *fakeJournal) Pending(string) ([]retention.Deletion, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.pending), nil
}

func (j *fakeJournal) Clear(string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.cleared = true
	return nil
}

// TestJournalSettleRule: a deletion done, or skipped because the
// registry changed, is settled; one that failed, or that an interrupt
// kept from starting, stays pending for the next run, and the journal
// is then not cleared. (TestKilledApplyFinishedByTheNext checks the
// same against a real registry and a killed process.)
func TestJournalSettleRule(t *testing.T) {
	const repo = "reg.example/app"
	a, b, kept := fakeDigest("a"), fakeDigest("b"), fakeDigest("2")
	tests := []struct {
		name    string
		change  func(f *fakeRegistry, cancel context.CancelFunc)
		settled []string
		cleared bool
	}{
		{"deleted", func(*fakeRegistry, context.CancelFunc) {}, []string{a, b}, true},
		{"skipped, tag moved", func(f *fakeRegistry, _ context.CancelFunc) { f.tags["old-a"] = fakeDigest("3") }, []string{a, b}, true},
		{"failed", func(f *fakeRegistry, _ context.CancelFunc) {
			f.fail = map[string]error{"delete " + a: fmt.Errorf("500: %w", registry.ErrUnreachable)}
		}, []string{b}, false},
		{"interrupted", func(f *fakeRegistry, cancel context.CancelFunc) {
			f.onDelete = func(string) { cancel() } // Ctrl-C during the first DELETE
		}, []string{a}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fakeRegistry{tags: map[string]string{"old-a": a, "old-b": b, "keep": kept}}
			plan := &retention.Plan{SchemaVersion: retention.SchemaVersion, Mode: retention.ModePlan, Repositories: []retention.RepoPlan{{
				Repository: repo,
				Tags: []retention.TagDecision{
					{Tag: "keep", Digest: kept, Action: retention.Keep},
					{Tag: "old-a", Digest: a, Action: retention.Delete},
					{Tag: "old-b", Digest: b, Action: retention.Delete},
				},
				Deletions: []retention.Deletion{
					{Digest: a, Tags: []string{"old-a"}, Kind: retention.KindImage, Reason: "every tag on it is deleted"},
					{Digest: b, Tags: []string{"old-b"}, Kind: retention.KindImage, Reason: "every tag on it is deleted"},
				},
			}}}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			tt.change(f, cancel)
			j := &fakeJournal{}
			out := execute.Apply(ctx, f, keepRules(t, []string{repo}, "keep"), plan, now, execute.Options{Journal: j, Concurrency: 1})
			if diff := cmp.Diff([]string{a, b}, sortedCopy(j.begun)); diff != "" {
				t.Errorf("begun (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.settled, sortedCopy(j.settled)); diff != "" {
				var got []string
				for _, d := range out.Repositories[0].Deletions {
					got = append(got, string(d.Status)+" "+d.Reason)
				}
				t.Errorf("settled (-want +got):\n%s\noutcomes: %q", diff, got)
			}
			if j.cleared != tt.cleared {
				t.Errorf("journal cleared: %v, want %v", j.cleared, tt.cleared)
			}
		})
	}
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
