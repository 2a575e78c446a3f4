package report

import "github.com/regprune/regprune/retention"

// Summarize recomputes p.Summary from p.Repositories. It is the single
// place where the counts are computed: the planner calls it after
// building a plan and the executor after recording outcomes.
//
// Manifests counts deletions of kind image and index, TagOnly those of
// kind tag. The apply outcomes (Deleted, Skipped, DeletionsFailed) are
// counted only when p.Mode is "apply"; in a plan they stay zero, so they
// are omitted from JSON. A nil p is a no-op.
func Summarize(p *retention.Plan) {
	if p == nil {
		return
	}
	apply := p.Mode == modeApply
	var s retention.Summary
	for _, r := range p.Repositories {
		s.Repositories++
		if r.Error != "" {
			s.Failed++
		}
		countRepo(&s, r, apply)
	}
	// Local caches add their tags and deletions to the same counts; the
	// repositories count stays the registries'.
	for _, c := range p.Local {
		s.LocalCaches++
		failed := c.Error != "" || (c.BuildCache != nil && c.BuildCache.Status == retention.StatusFailed)
		for _, r := range c.Repositories {
			failed = failed || r.Error != ""
			countRepo(&s, r, apply)
		}
		if failed {
			s.LocalFailed++
		}
		s.EstimatedBytes += c.EstimatedBytes
		if c.ReclaimedBytes != nil {
			s.ReclaimedBytes += *c.ReclaimedBytes
		}
	}
	p.Summary = s
}

func countRepo(s *retention.Summary, r retention.RepoPlan, apply bool) {
	{
		for _, t := range r.Tags {
			s.Tags++
			switch t.Action {
			case retention.Keep:
				s.Keep++
			case retention.Delete:
				s.Delete++
			}
		}
		for _, d := range r.Deletions {
			switch d.Kind {
			case retention.KindImage, retention.KindIndex:
				s.Manifests++
			case retention.KindTag:
				s.TagOnly++
			case retention.KindChild:
				s.Children++
			case retention.KindReferrer:
				s.Referrers++
			}
			if !apply {
				continue
			}
			switch d.Status {
			case retention.StatusDeleted:
				s.Deleted++
			case retention.StatusSkipped:
				s.Skipped++
			case retention.StatusFailed:
				s.DeletionsFailed++
			case retention.StatusUntagged:
				s.Untagged++
			}
		}
	}
}
