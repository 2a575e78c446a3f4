package retention

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCloneSharesNothingWritten: writing to a clone where an apply writes
// (statuses, notes, build cache, reclaimed bytes) leaves the plan as it
// was, and a clone equals its plan.
func TestCloneSharesNothingWritten(t *testing.T) {
	n := int64(7)
	p := &Plan{
		Mode:  ModePlan,
		Notes: []string{"run"},
		Repositories: []RepoPlan{{Repository: "r", Tags: []TagDecision{{Tag: "a"}},
			Deletions: []Deletion{{Digest: "sha256:1", Tags: []string{"a"}}}, Notes: []string{"repo"}}},
		Local: []CachePlan{{Cache: "c", Notes: []string{"cache"}, ReclaimedBytes: &n, BuildCache: &BuildCachePlan{},
			Repositories: []RepoPlan{{Repository: "l", Deletions: []Deletion{{Digest: "sha256:2"}}}}}},
	}
	c := p.Clone()
	if diff := cmp.Diff(p, c); diff != "" {
		t.Fatalf("clone differs (-plan +clone):\n%s", diff)
	}
	c.Notes[0] = "x"
	c.Repositories[0].Deletions[0].Status = StatusDeleted
	c.Repositories[0].Tags[0].Tag = "x"
	c.Repositories[0].Notes[0] = "x"
	c.Local[0].Notes[0] = "x"
	c.Local[0].Repositories[0].Deletions[0].Status = StatusFailed
	c.Local[0].BuildCache.Status = StatusDeleted
	*c.Local[0].ReclaimedBytes = 0
	if p.Notes[0] != "run" || p.Repositories[0].Deletions[0].Status != "" || p.Repositories[0].Tags[0].Tag != "a" ||
		p.Repositories[0].Notes[0] != "repo" || p.Local[0].Notes[0] != "cache" || p.Local[0].Repositories[0].Deletions[0].Status != "" ||
		p.Local[0].BuildCache.Status != "" || *p.Local[0].ReclaimedBytes != 7 {
		t.Errorf("writing to the clone changed the plan: %+v", p)
	}
	if (*Plan)(nil).Clone() != nil {
		t.Error("nil plan cloned to non-nil")
	}
}
