package report

import "github.com/regprune/regprune/retention"

// withArrays returns a copy of p whose slices are all non-nil, as the
// JSON form writes them (empty arrays, never null). p is not modified;
// the copy is shallow below the slices it rebuilds.
func withArrays(p *retention.Plan) *retention.Plan {
	c := *p
	c.Repositories = withRepoArrays(p.Repositories)
	c.Warnings = nonNil(p.Warnings)
	if p.Local != nil {
		c.Local = make([]retention.CachePlan, len(p.Local))
		for i, cp := range p.Local {
			cp.Repositories = withRepoArrays(cp.Repositories)
			c.Local[i] = cp
		}
	}
	return &c
}

func withRepoArrays(in []retention.RepoPlan) []retention.RepoPlan {
	out := make([]retention.RepoPlan, len(in))
	for i, r := range in {
		r.Policies = nonNil(r.Policies)
		tags := make([]retention.TagDecision, len(r.Tags))
		for j, t := range r.Tags {
			t.Reasons = nonNil(t.Reasons)
			tags[j] = t
		}
		r.Tags = tags
		dels := make([]retention.Deletion, len(r.Deletions))
		for j, d := range r.Deletions {
			d.Tags = nonNil(d.Tags)
			dels[j] = d
		}
		r.Deletions = dels
		out[i] = r
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
