package retention

// WithArrays returns a copy of p whose slices are all non-nil, as the
// JSON form writes them (empty arrays, never null). p is not modified; the copy is shallow below the slices it rebuilds.
func (p *Plan) WithArrays() *Plan {
	c := *p
	c.Repositories = withRepoArrays(p.Repositories)
	c.Warnings = nonNil(p.Warnings)
	if p.Local != nil {
		c.Local = make([]CachePlan, len(p.Local))
		for i, cp := range p.Local {
			cp.Repositories = withRepoArrays(cp.Repositories)
			c.Local[i] = cp
		}
	}
	return &c
}

func withRepoArrays(in []RepoPlan) []RepoPlan {
	out := make([]RepoPlan, len(in))
	for i, r := range in {
		r.Policies = nonNil(r.Policies)
		tags := make([]TagDecision, len(r.Tags))
		for j, t := range r.Tags {
			t.Reasons = nonNil(t.Reasons)
			tags[j] = t
		}
		r.Tags = tags
		dels := make([]Deletion, len(r.Deletions))
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
