package retention

// Summarize recomputes p.Summary from p.Repositories and p.Local. It is
// the single place where the counts are computed: the planner calls it
// after building a plan and the executor after recording outcomes.
//
// Manifests counts deletions of kind image and index, TagOnly those of
// kind tag. The apply outcomes (Deleted, Skipped, DeletionsFailed) are
// counted only when p.Mode is "apply"; in a plan they stay zero, so they
// are omitted from JSON. A nil p is a no-op.
func (p *Plan) Summarize() {
	if p == nil {
		return
	}
	apply := p.Mode == ModeApply
	var s Summary
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
		failed := c.Error != "" || (c.BuildCache != nil && c.BuildCache.Status == StatusFailed)
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

func countRepo(s *Summary, r RepoPlan, apply bool) {
	{
		for _, t := range r.Tags {
			s.Tags++
			switch t.Action {
			case Keep:
				s.Keep++
			case Delete:
				s.Delete++
			}
		}
		for _, d := range r.Deletions {
			switch d.Kind {
			case KindImage, KindIndex:
				s.Manifests++
			case KindTag:
				s.TagOnly++
			case KindChild:
				s.Children++
			case KindReferrer:
				s.Referrers++
			case KindUntagged:
				s.UntaggedManifests++
			}
			if !apply {
				continue
			}
			switch d.Status {
			case StatusDeleted:
				s.Deleted++
			case StatusSkipped:
				s.Skipped++
			case StatusFailed:
				s.DeletionsFailed++
			case StatusUntagged:
				s.Untagged++
			}
		}
	}
}
