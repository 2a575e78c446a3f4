package retention

import "slices"

// Clone returns a copy of p that shares no slice with it that an apply
// writes to (repositories, their tags, deletions and notes, local caches
// and their build cache), so a report can be built from a plan that
// stays as it was. A nil p clones to nil. Empty and nil slices stay as
// they were.
func (p *Plan) Clone() *Plan {
	if p == nil {
		return nil
	}
	out := *p
	out.Notes = slices.Clone(p.Notes)
	out.Warnings = slices.Clone(p.Warnings)
	out.Repositories = cloneRepos(p.Repositories)
	if p.Local != nil {
		out.Local = make([]CachePlan, len(p.Local))
		for i, c := range p.Local {
			out.Local[i] = c.Clone()
		}
	}
	return &out
}

// Clone returns a copy of c sharing no slice an apply writes to.
func (c CachePlan) Clone() CachePlan {
	out := c
	out.Notes = slices.Clone(c.Notes)
	out.Repositories = cloneRepos(c.Repositories)
	if c.BuildCache != nil {
		bc := *c.BuildCache
		out.BuildCache = &bc
	}
	if c.ReclaimedBytes != nil {
		n := *c.ReclaimedBytes
		out.ReclaimedBytes = &n
	}
	return out
}

func cloneRepos(rs []RepoPlan) []RepoPlan {
	if rs == nil {
		return nil
	}
	out := make([]RepoPlan, len(rs))
	for i, rp := range rs {
		rp.Tags = slices.Clone(rp.Tags)
		rp.Deletions = slices.Clone(rp.Deletions)
		rp.Notes = slices.Clone(rp.Notes)
		rp.Pending = slices.Clone(rp.Pending)
		if rp.Gate != nil {
			g := *rp.Gate
			rp.Gate = &g
		}
		out[i] = rp
	}
	return out
}

// SkipPending marks every deletion of rp that has no status yet skipped,
// for reason, and returns how many it marked.
func (rp *RepoPlan) SkipPending(reason string) int {
	n := 0
	for i := range rp.Deletions {
		if d := &rp.Deletions[i]; d.Status == "" {
			d.Status, d.Reason = StatusSkipped, reason
			n++
		}
	}
	return n
}

// SkipPending marks every deletion of c, and its build cache prune, that
// has no status yet skipped, for reason.
func (c *CachePlan) SkipPending(reason string) {
	for i := range c.Repositories {
		c.Repositories[i].SkipPending(reason)
	}
	if bc := c.BuildCache; bc != nil && bc.Status == "" {
		bc.Status, bc.Error = StatusSkipped, reason
	}
}
