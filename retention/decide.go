package retention

import (
	"fmt"
	"time"

	"github.com/regprune/regprune/retention/manifest"
)

// Decide evaluates the rules on one repository's listing as seen at now.
// It is pure: everything it needs is in its arguments. Every tag gets a
// decision with reasons, and the deletions that carry the decisions out
// are listed in the order they are safe to run.
func Decide(now time.Time, r *Rules, l Listing) RepoPlan {
	policies := r.PoliciesFor(append([]string{l.Repository}, l.Aliases...)...)
	rp := RepoPlan{Repository: l.Repository, Notes: l.Notes, Policies: []string{}, Tags: make([]TagDecision, 0, len(l.Tags)), Deletions: []Deletion{}}
	for _, p := range policies {
		rp.Policies = append(rp.Policies, p.Name)
	}

	// Ordinary tags are ranked; attachment tags follow their subject.
	ordinary := make([]candidate, 0, len(l.Tags))
	var attachments, placeholders []int
	for i, t := range l.Tags {
		m := l.Manifests[t.Digest]
		td := tagDecision(t, m)
		td.Clock = policyClock(policies, t.Name)
		rp.Tags = append(rp.Tags, td)
		if _, ok := manifest.AttachmentSubject(t.Name); ok {
			attachments = append(attachments, i)
			continue
		}
		if m.Placeholder {
			placeholders = append(placeholders, i)
			continue
		}
		ordinary = append(ordinary, candidate{idx: i, tag: t.Name, digest: t.Digest, created: m.Created, pushed: t.Pushed, firstSeen: m.FirstSeen, pulled: t.Pulled, pullsKnown: l.ReportsPulls})
	}

	// Each policy decides on the tags it governs; a tag is deleted only
	// when every policy that governs it deletes it.
	governed := make([]bool, len(l.Tags))
	keptBy := make([][]string, len(l.Tags))
	deletedBy := make([][]string, len(l.Tags))
	word := l.Clock
	if word == "" {
		word = "created"
	}
	for _, p := range policies {
		evaluatePolicy(now, word, p, ordinary, governed, keptBy, deletedBy)
	}

	for _, c := range ordinary {
		td := &rp.Tags[c.idx]
		switch {
		case !governed[c.idx]:
			td.Action = Keep
			td.Reasons = []string{"no policy governs this tag"}
		case len(keptBy[c.idx]) > 0:
			td.Action = Keep
			td.Reasons = keptBy[c.idx]
		default:
			td.Action = Delete
			td.Reasons = deletedBy[c.idx]
		}
		if td.Action == Delete {
			at, w := c.age(word)
			applyOverrides(now, w, r, td, at)
		}
	}
	for _, i := range placeholders {
		decidePlaceholder(now, r, policies, l.Tags[i], &rp.Tags[i])
	}
	pinned := map[int]string{}
	for _, i := range attachments {
		// Decided below, once the fate of every subject is known; the
		// overrides still hold for them, and so does a keep rule that
		// selects the tag by name.
		rp.Tags[i].Action = Keep
		rp.Tags[i].Reasons = []string{}
		if why := selectedByKeepRule(policies, l.Tags[i].Name); why != "" {
			pinned[i] = why
		}
	}

	planDeletions(now, r, l, &rp, attachments, pinned)
	return rp
}

// decidePlaceholder deletes a tag left on a placeholder by an earlier
// run that failed between pushing it and deleting it: the tag was being
// removed, and the placeholder is no image, so it is never ranked. The
// tag stays if no policy governs it any more, and protect.tags and
// minAge (by its push time) still hold.
func decidePlaceholder(now time.Time, r *Rules, policies []*CompiledPolicy, t Tag, td *TagDecision) {
	governed := false
	for _, p := range policies {
		if _, ok := p.Tags.Match(t.Name); len(p.keep) > 0 && (len(p.Tags) == 0 || ok) {
			governed = true
		}
	}
	if !governed {
		td.Action = Keep
		td.Reasons = []string{"a placeholder left by an earlier run, but no policy governs this tag"}
		return
	}
	td.Action = Delete
	td.Reasons = []string{"a placeholder left by an earlier run that was removing this tag (" + manifest.PlaceholderAnnotation + ")"}
	applyOverrides(now, ClockPushed, r, td, t.Pushed)
}

// tagDecision starts a tag's decision with the times the listing knows.
func tagDecision(t Tag, m Manifest) TagDecision {
	td := TagDecision{Tag: t.Name, Digest: t.Digest, MediaType: m.MediaType}
	if !m.Created.IsZero() {
		c := m.Created.UTC()
		td.Created = &c
	}
	if !t.Pushed.IsZero() {
		p := t.Pushed.UTC()
		td.Pushed = &p
	}
	if m.Created.IsZero() && !m.FirstSeen.IsZero() {
		f := m.FirstSeen.UTC()
		td.FirstSeen = &f
	}
	return td
}

// policyClock is ClockPushed when the policies that govern tag all rank
// by push time, so that a report shows the time they decided on; else
// "", the creation time. A tag that no policy governs has no clock.
func policyClock(policies []*CompiledPolicy, tag string) string {
	clock := ""
	for _, p := range policies {
		if _, ok := p.Tags.Match(tag); len(p.keep) == 0 || (len(p.Tags) > 0 && !ok) {
			continue
		}
		if p.Clock != ClockPushed {
			return ""
		}
		clock = ClockPushed
	}
	return clock
}

// applyOverrides turns a deletion into a keep when protect.tags or minAge
// forbid it. They override every policy.
func applyOverrides(now time.Time, word string, r *Rules, td *TagDecision, created time.Time) {
	if p, ok := r.Protect.Match(td.Tag); ok {
		td.Action = Keep
		td.Reasons = []string{fmt.Sprintf("protected by protect.tags %q", p.String())}
		return
	}
	if r.MinAge > 0 {
		if created.IsZero() {
			td.Action = Keep
			td.Reasons = []string{fmt.Sprintf("%s unknown, so minAge %s cannot be checked (unknown is not old)", timeName(word), Duration(r.MinAge))}
			return
		}
		if now.Sub(created) < r.MinAge {
			td.Action = Keep
			td.Reasons = []string{fmt.Sprintf("%s %s, younger than minAge %s", word, Ago(now, created), Duration(r.MinAge))}
		}
	}
}

// timeName names the clock's time in reasons.
func timeName(word string) string {
	switch word {
	case clockArrived:
		return "arrival time"
	case ClockPushed:
		return "push time"
	case clockFirstSeen:
		return "first-seen time"
	}
	return "creation time"
}

// selectedByKeepRule returns why a keep rule that keeps by selection
// alone (tags, no ranking) keeps the attachment tag, or "". Attachments
// are not ranked, but a rule that keeps a tag by name keeps it, whatever
// it looks like: a keep-everything policy on a signatures repository
// keeps its signatures.
func selectedByKeepRule(policies []*CompiledPolicy, tag string) string {
	for _, p := range policies {
		if _, ok := p.Tags.Match(tag); len(p.Tags) > 0 && !ok {
			continue
		}
		for _, k := range p.keep {
			if k.Semver != nil || k.Newest > 0 || k.YoungerThan > 0 || k.PulledWithin > 0 {
				continue
			}
			if _, ok := k.Tags.Match(tag); len(k.Tags) > 0 && !ok {
				continue
			}
			return "kept by policy " + p.Name + " " + k.Label + ", which selects this tag"
		}
	}
	return ""
}
