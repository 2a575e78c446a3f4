package layout

import (
	"context"
	"sort"

	"github.com/regprune/regprune/retention"
)

// settleDeletions fits Decide's deletions, made per repository, to the
// layout, where every entry shares one blob store: a manifest another
// entry still reaches stays (its tags go alone), and the manifests that
// become unreachable below the removed entries (index children,
// referrers by subject) are listed under the repository whose entry
// reached them first.
func (d *decider) settleDeletions(ctx context.Context) error {
	after := d.a.after
	roots := map[string]bool{}
	for _, e := range d.a.idx.entries {
		roots[e.desc.Digest] = true
	}
	listed := map[string]bool{}
	for g := range d.a.repos {
		rp := &d.a.repos[g]
		kept := rp.Deletions[:0]
		for _, del := range rp.Deletions {
			switch {
			case del.Kind == retention.KindChild, del.Kind == retention.KindReferrer && len(del.Tags) == 0:
				continue // listed again below, from the layout's reachability
			case (del.Kind == retention.KindImage || del.Kind == retention.KindIndex) && after[del.Digest]:
				del.Kind = retention.KindTag
				del.Reason += "; the manifest stays: another entry of the layout reaches it"
			}
			listed[del.Digest] = true
			kept = append(kept, del)
		}
		rp.Deletions = kept
	}
	for g, idxs := range d.groups {
		var children, referrers []retention.Deletion
		for _, i := range idxs {
			if !d.a.removed[i] {
				continue
			}
			seen := map[string]bool{}
			parents := map[string]edge{}
			if err := d.a.s.reach(ctx, []descriptor{d.a.idx.entries[i].desc}, seen, parents); err != nil {
				return err
			}
			digests := make([]string, 0, len(parents))
			for dg := range parents {
				digests = append(digests, dg)
			}
			sort.Strings(digests)
			for _, dg := range digests {
				if after[dg] || listed[dg] || roots[dg] || d.a.s.nodes[dg] == nil {
					continue
				}
				listed[dg] = true
				p := parents[dg]
				switch p.kind {
				case edgeChild:
					children = append(children, retention.Deletion{Digest: dg, Tags: []string{}, Kind: retention.KindChild, Parent: p.from, Reason: "child of removed index " + p.from})
				case edgeReferrer:
					referrers = append(referrers, retention.Deletion{Digest: dg, Tags: []string{}, Kind: retention.KindReferrer, Parent: p.from, Reason: "its subject " + p.from + " is removed"})
				}
			}
		}
		d.a.repos[g].Deletions = append(append(d.a.repos[g].Deletions, children...), referrers...)
	}
	return nil
}
