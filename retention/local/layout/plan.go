package layout

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/manifest"
)

// Kind is the CachePlan kind of a layout.
const Kind = "layout"

// untaggedReason explains why an entry without a ref name is kept.
const untaggedReason = "no org.opencontainers.image.ref.name annotation: governed by no policy"

// Plan reads the layout at lr.Path and decides what to remove, changing
// nothing in it but its lock file (created when missing and writable; a
// read-only layout is planned without the lock). EstimatedBytes is what
// Apply's sweep would remove: every blob that nothing left reaches and
// that is older than the grace period, shared blobs counted once.
func Plan(ctx context.Context, lr retention.LayoutRules, now time.Time, opts ...Option) retention.CachePlan {
	cp := newCachePlan(lr)
	o, err := newOptions(opts)
	if err != nil {
		return failed(cp, "planning", lr.Path, err)
	}
	if err := checkLayout(lr.Path); err != nil {
		return failed(cp, "planning", lr.Path, err)
	}
	lk, err := acquire(lr.Path, false)
	switch {
	case errors.Is(err, ErrLocked):
		return failed(cp, "planning", lr.Path, err)
	case err != nil:
		o.logger.DebugContext(ctx, "planning without the lock", "reason", err.Error())
	}
	defer lk.release()
	if lr.Rules == nil {
		lr.Rules = &retention.Rules{}
	}
	a, err := analyze(ctx, lr, now, o)
	if err != nil {
		return failed(cp, "planning", lr.Path, err)
	}
	cp.Repositories = a.repos
	cp.Notes = a.notes
	cp.EstimatedBytes = a.estimated
	return cp
}

func newCachePlan(lr retention.LayoutRules) retention.CachePlan {
	return retention.CachePlan{Cache: CacheName(lr.Path), Kind: Kind, Repositories: []retention.RepoPlan{}}
}

func failed(cp retention.CachePlan, doing, path string, err error) retention.CachePlan {
	cp.Error = fmt.Sprintf("%s layout %s: %v", doing, path, err)
	return cp
}

// analysis is a layout read and decided.
type analysis struct {
	idx *indexFile
	s   *store
	// removed marks the entries (by index in idx.entries) the plan removes.
	removed []bool
	// before and after are what every entry reaches and what the kept
	// entries reach.
	before, after map[string]bool
	repos         []retention.RepoPlan
	notes         []string
	estimated     int64
}

func analyze(ctx context.Context, lr retention.LayoutRules, now time.Time, o *options) (*analysis, error) {
	idx, err := readIndex(lr.Path, lr.Path)
	if err != nil {
		return nil, err
	}
	s, err := listBlobs(ctx, lr.Path)
	if err != nil {
		return nil, err
	}
	a := &analysis{idx: idx, s: s, removed: make([]bool, len(idx.entries))}
	roots := make([]descriptor, len(idx.entries))
	for i, e := range idx.entries {
		roots[i] = e.desc
	}
	if a.before, err = s.mark(ctx, roots); err != nil {
		return nil, err
	}
	cutoff := o.cutoff(now)
	d := &decider{a: a, lr: lr, now: now, cutoff: cutoff, tm: &timer{s: s, now: now, times: map[string]manifest.Created{}}}
	if err := d.decide(ctx); err != nil {
		return nil, err
	}
	budget, err := d.newBudget(ctx)
	if err != nil {
		return nil, err
	}
	if lr.MaxSize > 0 {
		if err := d.enforceMaxSize(ctx, budget); err != nil {
			return nil, err
		}
	}
	a.after = budget.live()
	if err := d.settleDeletions(ctx); err != nil {
		return nil, err
	}
	var garbage, young int
	var garbageBytes int64
	for dg, bi := range s.blobs {
		switch {
		case a.after[dg]:
		case bi.mtime.After(cutoff):
			young++
		default:
			a.estimated += bi.size
			if !a.before[dg] {
				garbage++
				garbageBytes += bi.size
			}
		}
	}
	if garbage > 0 {
		a.notes = append(a.notes, fmt.Sprintf("%d blob(s) (%s) that no entry reaches are swept too", garbage, retention.ByteSize(garbageBytes)))
	}
	if young > 0 {
		a.notes = append(a.notes, fmt.Sprintf("%d unreachable blob(s) modified within the grace period of %s are kept", young, o.grace))
	}
	return a, nil
}

// decider turns the layout's entries into repositories and decisions.
type decider struct {
	a   *analysis
	lr  retention.LayoutRules
	now time.Time
	// cutoff: blobs modified after it are never swept.
	cutoff time.Time
	tm     *timer
	// groups holds, per repository plan, the entry behind each tag
	// decision (-1 for none).
	groups [][]int
	// created is each entry's creation time (zero when unknown or not
	// needed).
	created []time.Time
}

// decide groups the tagged entries by repository and runs Decide on each.
func (d *decider) decide(ctx context.Context) error {
	entries := d.a.idx.entries
	d.created = make([]time.Time, len(entries))
	byRepo := map[string][]int{}
	var untagged []int
	for i, e := range entries {
		if !e.ref.tagged() {
			untagged = append(untagged, i)
			continue
		}
		byRepo[e.ref.repo] = append(byRepo[e.ref.repo], i)
	}
	names := make([]string, 0, len(byRepo)+1)
	for n := range byRepo {
		if n != d.lr.Path {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	if len(byRepo[d.lr.Path]) > 0 || len(untagged) > 0 {
		names = append([]string{d.lr.Path}, names...)
	}
	for _, repo := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		idxs := byRepo[repo]
		l, err := d.listing(repo, idxs)
		if err != nil {
			return err
		}
		rp := retention.Decide(d.now, d.lr.Rules, l)
		for i, td := range rp.Tags {
			if td.Action == retention.Delete {
				d.a.removed[idxs[i]] = true
			}
		}
		if repo == d.lr.Path {
			for _, i := range untagged {
				e := entries[i]
				rp.Tags = append(rp.Tags, retention.TagDecision{Tag: "", Digest: e.desc.Digest, MediaType: e.desc.MediaType, Action: retention.Keep, Reasons: []string{untaggedReason}})
				idxs = append(idxs, i)
			}
		}
		d.a.repos = append(d.a.repos, rp)
		d.groups = append(d.groups, idxs)
	}
	return nil
}

// listing describes one repository's entries for Decide.
func (d *decider) listing(repo string, idxs []int) (retention.Listing, error) {
	l := retention.Listing{Repository: repo, Tags: make([]retention.Tag, 0, len(idxs)), Manifests: map[string]retention.Manifest{}}
	needTime := d.lr.MaxSize > 0 || d.lr.Rules.NeedsTime(repo)
	done := map[string]bool{}
	for _, i := range idxs {
		e := d.a.idx.entries[i]
		l.Tags = append(l.Tags, retention.Tag{Name: e.ref.tag, Digest: e.desc.Digest})
		if needTime {
			ct, err := d.tm.entryCreated(e)
			if err != nil {
				return l, err
			}
			d.created[i] = ct.Time
			if _, ok := l.Manifests[e.desc.Digest]; !ok {
				// Decide keys times by digest: the first entry's wins.
				m := retention.Manifest{Digest: e.desc.Digest, MediaType: e.desc.MediaType, Created: ct.Time, CreatedSource: ct.Source}
				l.Manifests[e.desc.Digest] = m
			}
		}
		if err := d.describe(l.Manifests, done, e.desc, 0); err != nil {
			return l, err
		}
		if _, held := d.a.s.blobs[e.desc.Digest]; !held {
			d.a.notes = append(d.a.notes, fmt.Sprintf("entry %s (%s): its manifest is missing from blobs/ (the entry cannot be pulled or run); what it referenced is unknown, so blobs only it used are unreachable and swept like any other; the entry itself is decided like any other", entryName(e), e.desc.Digest))
		}
	}
	return l, nil
}

// describe adds what Decide needs of a manifest and, for an index, of its
// children: media type, children and subject. done marks the digests
// described.
func (d *decider) describe(ms map[string]retention.Manifest, done map[string]bool, desc descriptor, depth int) error {
	if done[desc.Digest] {
		return nil
	}
	done[desc.Digest] = true
	n, err := d.a.s.load(desc)
	if err != nil {
		return err
	}
	m := ms[desc.Digest]
	m.Digest = desc.Digest
	if m.MediaType == "" {
		m.MediaType = desc.MediaType
	}
	if n == nil {
		ms[desc.Digest] = m
		return nil
	}
	if m.MediaType == "" {
		m.MediaType = n.mediaType
	}
	m.Subject = n.subject
	if !n.isIndex() {
		ms[desc.Digest] = m
		return nil
	}
	m.Children = make([]string, 0, len(n.children))
	for _, c := range n.children {
		m.Children = append(m.Children, c.Digest)
	}
	ms[desc.Digest] = m
	if depth >= manifest.MaxIndexDepth {
		return nil
	}
	for _, c := range n.children {
		if err := d.describe(ms, done, c, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// entryName names an index.json entry for notes: its tag, or "untagged".
func entryName(e entry) string {
	if e.ref.tagged() {
		return e.ref.repo + ":" + e.ref.tag
	}
	return "untagged"
}
