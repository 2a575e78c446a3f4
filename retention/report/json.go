package report

import (
	"encoding/json"
	"io"

	"github.com/regprune/regprune/retention"
)

// The modes a plan document may have.
const (
	modePlan  = retention.ModePlan
	modeApply = retention.ModeApply
)

// writeJSON writes p as one indented JSON document with a trailing
// newline. Nil slices are written as empty arrays, so consumers (jq
// scripts, apply) never see null where a list belongs.
func writeJSON(w io.Writer, p *retention.Plan) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Reasons and errors are read by people; "<" is clearer than "\u003c".
	enc.SetEscapeHTML(false)
	return enc.Encode(withArrays(p))
}

// withArrays returns a copy of p whose slices are all non-nil. p is not
// modified; the copy is shallow below the slices it rebuilds.
func withArrays(p *retention.Plan) *retention.Plan {
	c := *p
	c.Repositories = withRepoArrays(p.Repositories)
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
