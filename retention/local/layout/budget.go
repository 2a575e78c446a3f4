package layout

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/manifest"
)

// budget counts, for every blob, the kept entries that reach it, so that
// dropping an entry tells at once which blobs it frees.
type budget struct {
	s        *store
	closures map[string][]string
	refs     map[string]int32
}

func (d *decider) newBudget(ctx context.Context) (*budget, error) {
	b := &budget{s: d.a.s, closures: map[string][]string{}, refs: make(map[string]int32, len(d.a.s.blobs))}
	for i, e := range d.a.idx.entries {
		if d.a.removed[i] {
			continue
		}
		cl, err := b.closure(ctx, e.desc)
		if err != nil {
			return nil, err
		}
		for _, dg := range cl {
			b.refs[dg]++
		}
	}
	return b, nil
}

// closure is every digest one entry reaches, referrers included.
func (b *budget) closure(ctx context.Context, d descriptor) ([]string, error) {
	if cl, ok := b.closures[d.Digest]; ok {
		return cl, nil
	}
	seen := map[string]bool{}
	if err := b.s.reach(ctx, []descriptor{d}, seen, nil); err != nil {
		return nil, fmt.Errorf("marking: %w", err)
	}
	cl := make([]string, 0, len(seen))
	for dg := range seen {
		cl = append(cl, dg)
	}
	b.closures[d.Digest] = cl
	return cl, nil
}

// live is every digest a kept entry reaches.
func (b *budget) live() map[string]bool {
	out := make(map[string]bool, len(b.refs))
	for dg, n := range b.refs {
		if n > 0 {
			out[dg] = true
		}
	}
	return out
}

// sizeAfter is what the layout's blobs weigh after the sweep: those a
// kept entry reaches and those the grace period protects.
func (d *decider) sizeAfter(b *budget) int64 {
	var n int64
	for dg, bi := range d.a.s.blobs {
		if b.refs[dg] > 0 || bi.mtime.After(d.cutoff) {
			n += bi.size
		}
	}
	return n
}

// drop removes entry i from the kept ones and returns the bytes the
// sweep frees by it.
func (d *decider) drop(b *budget, i int) int64 {
	d.a.removed[i] = true
	var freed int64
	for _, dg := range b.closures[d.a.idx.entries[i].desc.Digest] {
		b.refs[dg]--
		if bi, ok := d.a.s.blobs[dg]; ok && b.refs[dg] == 0 && !bi.mtime.After(d.cutoff) {
			freed += bi.size
		}
	}
	return freed
}

// enforceMaxSize drops the oldest kept entries until the layout is under
// maxSize. Never dropped: protected tags, attachments (they follow their
// subject), entries without a ref name (governed by no policy), entries
// younger than minAge, and entries of unknown age: unknown is not old,
// and dropping them first or last would be a guess either way.
func (d *decider) enforceMaxSize(ctx context.Context, b *budget) error {
	limit := int64(d.lr.MaxSize)
	size := d.sizeAfter(b)
	if size <= limit {
		return nil
	}
	start := size
	entries := d.a.idx.entries
	var cands []int
	for i, e := range entries {
		if d.a.removed[i] || !e.ref.tagged() || d.created[i].IsZero() {
			continue
		}
		if _, ok := manifest.AttachmentSubject(e.ref.tag); ok {
			continue
		}
		if _, ok := d.lr.Rules.Protect.Match(e.ref.tag); ok {
			continue
		}
		if d.lr.Rules.MinAge > 0 && d.now.Sub(d.created[i]) < d.lr.Rules.MinAge {
			continue
		}
		cands = append(cands, i)
	}
	sort.SliceStable(cands, func(x, y int) bool {
		cx, cy := d.created[cands[x]], d.created[cands[y]]
		if !cx.Equal(cy) {
			return cx.Before(cy)
		}
		return entries[cands[x]].ref.name < entries[cands[y]].ref.name
	})
	where := d.positions()
	head := fmt.Sprintf("maxSize %s: the layout holds %s after the rules", d.lr.MaxSize, retention.ByteSize(start))
	dropped := 0
	for _, i := range cands {
		if size <= limit {
			break
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		size -= d.drop(b, i)
		dropped++
		why := fmt.Sprintf("%s; dropped as the oldest remaining entry (created %s)", head, d.created[i].UTC().Format(time.RFC3339))
		d.markDropped(where[i], i, why)
	}
	// Attachments follow a subject that no kept entry reaches any more.
	for i, e := range entries {
		subject, ok := manifest.AttachmentSubject(e.ref.tag)
		if d.a.removed[i] || !e.ref.tagged() || !ok || b.refs[subject] > 0 || !d.a.before[subject] {
			continue
		}
		if _, ok := d.lr.Rules.Protect.Match(e.ref.tag); ok {
			continue
		}
		size -= d.drop(b, i)
		d.markDropped(where[i], i, fmt.Sprintf("%s; follows its subject %s, dropped", head, subject))
	}
	note := fmt.Sprintf("%s; dropped %d oldest entries, leaving %s", head, dropped, retention.ByteSize(size))
	if size > limit {
		note += ", still over the limit: what remains is protected, an attachment, untagged, younger than minAge or of unknown age"
	}
	d.a.notes = append(d.a.notes, note)
	return nil
}

// positions maps an entry to its repository plan and tag decision.
func (d *decider) positions() map[int][2]int {
	out := map[int][2]int{}
	for g, idxs := range d.groups {
		for p, i := range idxs {
			out[i] = [2]int{g, p}
		}
	}
	return out
}

// markDropped records a maxSize drop on the tag's decision and as a
// deletion; settleDeletions fixes its kind once every drop is known.
func (d *decider) markDropped(at [2]int, i int, why string) {
	rp := &d.a.repos[at[0]]
	td := &rp.Tags[at[1]]
	td.Action = retention.Delete
	td.Reasons = []string{why}
	e := d.a.idx.entries[i]
	kind := retention.KindImage
	if manifest.IsIndexMediaType(e.desc.MediaType) {
		kind = retention.KindIndex
	}
	rp.Deletions = append(rp.Deletions, retention.Deletion{Digest: e.desc.Digest, Tags: []string{e.ref.tag}, Kind: kind, Reason: why})
}
