package execute

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/manifest"
)

// Replanner plans one repository afresh under the rules in force: the
// listing it read, what Decide (with the planner's deepening and
// referrers) makes of it, and when that listing's first request was sent
// (zero: during the call). The job package's is the planner's; it hands
// back a plan of this process under the same rules when that plan's
// reads are younger than the window, so they are resolved once.
type Replanner func(ctx context.Context, repo string, now time.Time) (retention.Listing, retention.RepoPlan, time.Time, error)

// freshPlan is the rules in force for one repository: a plan made over
// the listing apply took when it started on the repository.
type freshPlan struct {
	listing retention.Listing
	plan    retention.RepoPlan
	tags    map[string]retention.TagDecision
	// deletes maps a digest to the deletions the fresh plan makes of it.
	deletes map[string][]retention.Deletion
}

func newFreshPlan(l retention.Listing, rp retention.RepoPlan) *freshPlan {
	f := &freshPlan{listing: l, plan: rp, tags: map[string]retention.TagDecision{}, deletes: map[string][]retention.Deletion{}}
	for _, td := range rp.Tags {
		f.tags[td.Tag] = td
	}
	for _, d := range rp.Deletions {
		f.deletes[d.Digest] = append(f.deletes[d.Digest], d)
	}
	return f
}

// makes returns "" when the fresh plan makes d too: a deletion by digest
// of the same kind, or, for tags alone, every tag deleted with the
// manifest staying or going.
func (f *freshPlan) makes(d *retention.Deletion) string {
	if why := f.changed(d); why != "" {
		return why
	}
	for _, t := range d.Tags {
		if td, ok := f.tags[t]; ok && td.Action == retention.Keep {
			why := "kept"
			if len(td.Reasons) > 0 {
				why = td.Reasons[0]
			}
			return fmt.Sprintf("the rules in force keep tag %s now: %s", t, why)
		}
	}
	for _, fd := range f.deletes[d.Digest] {
		if d.Kind == retention.KindTag {
			if len(outside(d.Tags, fd.Tags)) == 0 {
				return ""
			}
			continue
		}
		if fd.Kind == d.Kind {
			return ""
		}
	}
	return fmt.Sprintf("the rules in force do not delete this %s now (a plan of the repository as it is does not)", d.Kind)
}

// changed says how the repository changed under d since the plan, as
// the fresh listing shows it: a tag of d that moved, another tag on its
// digest, a tagged index that lists it.
func (f *freshPlan) changed(d *retention.Deletion) string {
	var others []string
	for _, t := range f.listing.Tags {
		switch {
		case slices.Contains(d.Tags, t.Name) && t.Digest != d.Digest:
			return fmt.Sprintf("tag %s moved to %s since the plan", t.Name, t.Digest)
		case t.Digest == d.Digest && !slices.Contains(d.Tags, t.Name):
			others = append(others, t.Name)
		}
	}
	if d.Kind != retention.KindTag && len(others) > 0 {
		return fmt.Sprintf("tag(s) %s now point at it", joinTags(others))
	}
	if d.Kind == retention.KindTag {
		return ""
	}
	for _, t := range f.listing.Tags {
		if slices.Contains(f.listing.Manifests[t.Digest].Children, d.Digest) && !f.deletesDigest(t.Digest) {
			var tags []string
			for _, o := range f.listing.Tags {
				if o.Digest == t.Digest {
					tags = append(tags, o.Name)
				}
			}
			return fmt.Sprintf("the index %s, tagged %s, lists it", t.Digest, joinTags(tags))
		}
	}
	return ""
}

// deletesDigest reports whether the fresh plan deletes digest by digest.
func (f *freshPlan) deletesDigest(digest string) bool {
	for _, d := range f.deletes[digest] {
		if d.Kind != retention.KindTag {
			return true
		}
	}
	return false
}

// start takes the repository's first view and the rules in force: with
// a Replanner, one fresh plan whose listing (every tag resolved by a
// request) is also the first resolution while it took less than the
// window; otherwise, and when it took longer, one round of resolution.
// A tag that cannot be resolved fails the repository.
func (r *repoRun) start(ctx context.Context) error {
	r.created = map[string]*time.Time{}
	if r.opts.Replan == nil {
		for _, td := range r.rp.Tags {
			r.created[td.Tag] = createdOf(td)
		}
		if err := r.round(ctx); err != nil {
			return fmt.Errorf("re-reading the repository before deleting: %w", err)
		}
		return r.view().resolvedAll()
	}
	began := r.clock()
	l, rp, read, err := r.opts.Replan(ctx, r.rp.Repository, r.now)
	if !read.IsZero() {
		began = read
	}
	if err != nil {
		return fmt.Errorf("planning the repository afresh under the rules in force: %w", err)
	}
	if rp.Error != "" {
		return fmt.Errorf("planning the repository afresh under the rules in force: %s", rp.Error)
	}
	r.inforce = newFreshPlan(l, rp)
	for _, td := range rp.Tags {
		r.created[td.Tag] = createdOf(td)
	}
	if r.clock().Sub(began) < r.opts.VerifyWindow {
		r.adopt(ctx, began, l)
		r.probeHeader(ctx)
	} else if err := r.round(ctx); err != nil {
		return fmt.Errorf("re-reading the repository before deleting: %w", err)
	}
	return r.view().resolvedAll()
}

// adopt makes the fresh listing the first view: its tags were resolved
// by requests sent after began (a provider's listing carries each tag's
// digest; the OCI client resolves each tag with a request and takes a
// digest only as the hash of a body). Index children it read are kept.
func (r *repoRun) adopt(ctx context.Context, began time.Time, l retention.Listing) {
	current := make(map[string]string, len(l.Tags))
	indexes := map[string]bool{}
	for _, t := range l.Tags {
		current[t.Name] = t.Digest
		if m, ok := l.Manifests[t.Digest]; ok && m.IsIndex() {
			indexes[t.Digest] = true
		}
	}
	r.mu.Lock()
	for d, m := range l.Manifests {
		if m.IsIndex() && m.Children != nil {
			cs := make([]child, 0, len(m.Children))
			for _, c := range m.Children {
				cs = append(cs, child{digest: c, index: l.Manifests[c].IsIndex()})
			}
			r.childrenOf[d] = cs
		}
	}
	r.mu.Unlock()
	v := newView(began, current)
	r.readIndexes(ctx, v, indexes)
	r.setView(v)
}

// probeHeader checks, with one HEAD, that the registry's digest header
// agrees with the body hash the fresh listing took for one tag: later
// rounds resolve tags with HEAD, so a registry whose header lies fails
// the repository now (resolvedAll), with nothing deleted.
func (r *repoRun) probeHeader(ctx context.Context) {
	v := r.view()
	tags := slices.Sorted(maps.Keys(v.current))
	if len(tags) == 0 {
		return
	}
	t := tags[0]
	if _, _, err := r.resolve(ctx, t, v.current[t]); errors.Is(err, errHeaderLies) {
		r.viewMu.Lock()
		v.lied = append(v.lied, t)
		r.viewMu.Unlock()
	}
}

// createdOf is the time minAge reads for a tag: the later of its
// creation and push times, else when regprune first saw its digest.
func createdOf(td retention.TagDecision) *time.Time {
	if c := later(td.Created, td.Pushed); c != nil {
		return c
	}
	return td.FirstSeen
}

// stillWanted checks a deletion an interrupted run left pending against
// the rules in force: a child or referrer goes only when the journal
// holds its parent as deleted and the rules would still delete that
// parent; a manifest whose tags went first goes only when the rules
// would still delete it with those tags.
func (r *repoRun) stillWanted(d *retention.Deletion) string {
	if r.inforce == nil {
		return "the rules in force cannot be checked here (no fresh plan of the repository)"
	}
	rec := *d
	if d.Kind == retention.KindChild || d.Kind == retention.KindReferrer || (d.Kind == retention.KindUntagged && d.Parent != "") {
		p, ok := r.parents[d.Parent]
		if !ok {
			return fmt.Sprintf("the interrupted run's journal does not hold %s, which it follows, as deleted", d.Parent)
		}
		rec = p
	}
	if rec.Kind == retention.KindUntagged {
		if r.inforce.listing.ListsUntagged && r.inforce.makes(&rec) != "" {
			return "the rules in force do not delete " + rec.Digest + " now"
		}
		return r.rules.ForbiddenUntagged(r.rp.Repository, rec.Pushed, r.now)
	}
	return r.inforce.wouldDelete(r.now, r.rules, rec)
}

// wouldDelete returns "" when Decide, over the fresh listing with rec's
// recorded tags added back onto rec's digest, deletes every one of
// those tags: none is protected, too young, or kept by a keep rule.
func (f *freshPlan) wouldDelete(now time.Time, rules *retention.Rules, rec retention.Deletion) string {
	if len(rec.Tags) == 0 {
		return fmt.Sprintf("the journal records no tags for %s, so the rules in force cannot be checked on it", rec.Digest)
	}
	l := f.listing
	l.Tags = slices.Clone(l.Tags)
	l.Manifests = maps.Clone(l.Manifests)
	if l.Manifests == nil {
		l.Manifests = map[string]retention.Manifest{}
	}
	m := retention.Manifest{Digest: rec.Digest, MediaType: manifest.MediaTypeOCIManifest}
	if rec.Kind == retention.KindIndex {
		m.MediaType = manifest.MediaTypeOCIIndex
	}
	if rec.Created != nil {
		m.Created, m.CreatedSource = *rec.Created, "journal"
	}
	l.Manifests[rec.Digest] = m
	for _, t := range rec.Tags {
		if _, listed := f.tags[t]; !listed {
			l.Tags = append(l.Tags, retention.Tag{Name: t, Digest: rec.Digest})
		}
	}
	rp := retention.Decide(now, rules, l)
	checked := 0
	for _, td := range rp.Tags {
		if td.Digest != rec.Digest || !slices.Contains(rec.Tags, td.Tag) {
			continue
		}
		checked++
		if td.Action != retention.Delete {
			why := "kept"
			if len(td.Reasons) > 0 {
				why = td.Reasons[0]
			}
			return fmt.Sprintf("the rules in force would keep %s (tag %s): %s", rec.Digest, td.Tag, why)
		}
	}
	if checked == 0 {
		return fmt.Sprintf("every tag recorded for %s points at another manifest now, so the rules in force cannot be checked on it", rec.Digest)
	}
	return ""
}
