package retention

import (
	"strings"
	"time"

	"github.com/regprune/regprune/retention/manifest"
)

// planDeletions groups the tag decisions by digest and lists the deletions
// in a safe order: tags alone, then indexes, then images, then index
// children, then untagged manifests, then referrers. A manifest is deleted by digest only when every
// tag on it is deleted; a child only when nothing kept references it.
func planDeletions(now time.Time, r *Rules, l Listing, rp *RepoPlan, attachments []int, pinned map[int]string) {
	dp := newDeletionPlan(r, l, rp, attachments, pinned)
	dp.markKept()
	dp.planTagged()
	for _, del := range dp.indexes {
		dp.followChildren(del.Digest)
	}
	for _, dg := range dp.attachedDigests {
		dp.planAttached(dg)
	}
	dp.images, dp.referrers = followSubjects(l, dp.images, dp.referrers, dp.gone)
	dp.planUntagged(now)
	for _, group := range [][]Deletion{dp.tagOnly, dp.indexes, dp.images, dp.children, dp.untagged, dp.referrers} {
		rp.Deletions = append(rp.Deletions, group...)
	}
}

// digestTags are the ordinary tags on one digest: all of them, and the
// deleted ones (indexes into the listing's tags).
type digestTags struct {
	all, deleted []int
}

// deletionPlan is the state of planDeletions: the listing grouped by
// digest, what stays, and the deletions found so far by kind.
type deletionPlan struct {
	r      *Rules
	l      Listing
	rp     *RepoPlan
	pinned map[int]string

	isAttachment map[int]bool
	byDigest     map[string]*digestTags
	digests      []string // ordinary digests, in listing order
	// attachedTo lists the attachment tags by the digest they point at,
	// in listing order.
	attachedTo      map[string][]int
	attachedDigests []string
	// kept holds every digest a kept tag points at or reaches through an
	// index; referrerOf the tagged referrers kept with their subject.
	kept       map[string]bool
	referrerOf map[string]string
	tagged     map[string]bool
	gone       map[string]bool // digests deleted by digest

	tagOnly, indexes, images, children, untagged, referrers []Deletion
}

func newDeletionPlan(r *Rules, l Listing, rp *RepoPlan, attachments []int, pinned map[int]string) *deletionPlan {
	dp := &deletionPlan{
		r: r, l: l, rp: rp, pinned: pinned,
		isAttachment: make(map[int]bool, len(attachments)),
		byDigest:     map[string]*digestTags{},
		attachedTo:   map[string][]int{},
		kept:         map[string]bool{},
		referrerOf:   map[string]string{},
		tagged:       map[string]bool{},
		gone:         map[string]bool{},
	}
	for _, i := range attachments {
		dp.isAttachment[i] = true
		dg := l.Tags[i].Digest
		if dp.attachedTo[dg] == nil {
			dp.attachedDigests = append(dp.attachedDigests, dg)
		}
		dp.attachedTo[dg] = append(dp.attachedTo[dg], i)
	}
	for i, t := range l.Tags {
		dp.tagged[t.Digest] = true
		if dp.isAttachment[i] {
			continue
		}
		d := dp.byDigest[t.Digest]
		if d == nil {
			d = &digestTags{}
			dp.byDigest[t.Digest] = d
			dp.digests = append(dp.digests, t.Digest)
		}
		d.all = append(d.all, i)
		if rp.Tags[i].Action == Delete {
			d.deleted = append(d.deleted, i)
		}
	}
	return dp
}

// keepReachable marks dg and everything its index lists as kept.
func (dp *deletionPlan) keepReachable(dg string) {
	if dp.kept[dg] {
		return
	}
	dp.kept[dg] = true
	for _, c := range dp.l.Manifests[dg].Children {
		dp.keepReachable(c)
	}
}

// markKept keeps everything reachable from a kept tag, and a tagged
// manifest whose OCI subject stays (a signature, attestation or SBOM
// pushed under an ordinary tag): its deleted tags go alone. Repeated for
// referrers of referrers.
func (dp *deletionPlan) markKept() {
	for i, t := range dp.l.Tags {
		if !dp.isAttachment[i] && dp.rp.Tags[i].Action == Keep {
			dp.keepReachable(t.Digest)
		}
	}
	for changed := true; changed; {
		changed = false
		for _, dg := range dp.digests {
			if subject := dp.l.Manifests[dg].Subject; subject != "" && !dp.kept[dg] && dp.kept[subject] {
				dp.referrerOf[dg] = subject
				dp.keepReachable(dg)
				changed = true
			}
		}
	}
}

// planTagged plans the ordinary digests with deleted tags: a kept one
// loses those tags alone, any other goes by digest (an index or an
// image). A digest an attachment tag also points at is decided with the
// attachments.
func (dp *deletionPlan) planTagged() {
	for _, dg := range dp.digests {
		d := dp.byDigest[dg]
		if len(d.deleted) == 0 || !dp.kept[dg] && len(dp.attachedTo[dg]) > 0 {
			continue
		}
		names := tagNames(dp.l, d.deleted)
		if dp.kept[dg] {
			why := dp.keptWhy(dg, d)
			for _, i := range d.deleted {
				dp.rp.Tags[i].Reasons = append(dp.rp.Tags[i].Reasons, "tag deleted alone: "+why)
			}
			dp.tagOnly = append(dp.tagOnly, Deletion{Digest: dg, Tags: names, Kind: KindTag, Reason: why})
			continue
		}
		dp.gone[dg] = true
		del := Deletion{Digest: dg, Tags: names, Kind: KindImage, Reason: "every tag on it is deleted"}
		if dp.l.Manifests[dg].IsIndex() {
			del.Kind = KindIndex
			dp.indexes = append(dp.indexes, del)
		} else {
			dp.images = append(dp.images, del)
		}
	}
}

// keptWhy says why a kept digest stays while some of its tags go.
func (dp *deletionPlan) keptWhy(dg string, d *digestTags) string {
	var keptNames []string
	for _, i := range d.all {
		if dp.rp.Tags[i].Action == Keep {
			keptNames = append(keptNames, dp.l.Tags[i].Name)
		}
	}
	switch {
	case len(keptNames) > 0:
		return "digest shared with kept tag(s) " + strings.Join(keptNames, ", ")
	case dp.referrerOf[dg] != "":
		return "the manifest refers to the kept " + dp.referrerOf[dg] + " and stays with it"
	default:
		return "digest still referenced by a kept index"
	}
}

// followChildren deletes the children of a deleted index unless something
// kept reaches them, depth first in plan order so the output is stable.
func (dp *deletionPlan) followChildren(parent string) {
	for _, c := range dp.l.Manifests[parent].Children {
		if dp.kept[c] || dp.gone[c] || dp.tagged[c] {
			continue
		}
		dp.gone[c] = true
		dp.children = append(dp.children, Deletion{Digest: c, Tags: []string{}, Kind: KindChild, Parent: parent, Reason: "child of deleted index " + parent})
		dp.followChildren(c)
	}
}

// attachedWhys returns why each attachment tag on dg would go (by its
// index), and whether every one of them goes; the others get the reason
// they stay.
func (dp *deletionPlan) attachedWhys(dg string) (map[int]string, bool) {
	whys := map[int]string{}
	all := true
	for _, i := range dp.attachedTo[dg] {
		td := &dp.rp.Tags[i]
		subject, _ := manifest.AttachmentSubject(dp.l.Tags[i].Name)
		why, stays := subjectFate(subject, dp.l, dp.gone, dp.kept, dp.tagged)
		if stays != "" {
			td.Reasons = append(td.Reasons, stays)
		}
		if why == "" {
			all = false
			continue
		}
		if held := heldBy(dp.r, dp.pinned[i], dp.l.Tags[i].Name); held != "" {
			td.Reasons = append(td.Reasons, held+" ("+why+")")
			all = false
			continue
		}
		whys[i] = why
	}
	return whys, all
}

// planAttached decides a digest that attachment tags point at: they
// follow their subject, and the manifest goes only when every tag on it
// goes. A signature that stays keeps its manifest, and ordinary tags on
// it go alone.
func (dp *deletionPlan) planAttached(dg string) {
	whys, all := dp.attachedWhys(dg)
	var ordinary *digestTags
	if d := dp.byDigest[dg]; d != nil && len(d.deleted) > 0 && !dp.kept[dg] {
		ordinary = d // every ordinary tag here is deleted, else kept[dg]
	}
	if dp.kept[dg] || dp.gone[dg] || !all {
		dp.attachedStays(dg, whys, ordinary)
		return
	}
	idx := append([]int(nil), dp.attachedTo[dg]...)
	if ordinary != nil {
		idx = append(idx, ordinary.deleted...)
	}
	first := dp.attachedTo[dg][0]
	subject, _ := manifest.AttachmentSubject(dp.l.Tags[first].Name)
	for _, i := range dp.attachedTo[dg] {
		dp.rp.Tags[i].Action = Delete
		dp.rp.Tags[i].Reasons = append(dp.rp.Tags[i].Reasons, "deleted with its subject: "+whys[i])
	}
	dp.gone[dg] = true
	dp.referrers = append(dp.referrers, Deletion{Digest: dg, Tags: tagNames(dp.l, idx), Kind: KindReferrer, Parent: subject, Reason: whys[first]})
	// A referrers fallback index lists referrers; they go with it.
	for _, c := range dp.l.Manifests[dg].Children {
		if dp.kept[c] || dp.gone[c] || dp.tagged[c] {
			continue
		}
		dp.gone[c] = true
		dp.referrers = append(dp.referrers, Deletion{Digest: c, Tags: []string{}, Kind: KindReferrer, Parent: subject, Reason: "listed in the referrers index of " + subject})
	}
}

// attachedStays records an attached manifest that stays: attachment tags
// that would go say so, and its deleted ordinary tags go alone.
func (dp *deletionPlan) attachedStays(dg string, whys map[int]string, ordinary *digestTags) {
	var keptNames []string
	for _, i := range dp.attachedTo[dg] {
		if why, goes := whys[i]; goes {
			dp.rp.Tags[i].Reasons = append(dp.rp.Tags[i].Reasons, why+", but its manifest is still referenced")
		} else {
			keptNames = append(keptNames, dp.l.Tags[i].Name)
		}
	}
	if ordinary == nil {
		return
	}
	why := "digest shared with kept attachment tag(s) " + strings.Join(keptNames, ", ")
	for _, i := range ordinary.deleted {
		dp.rp.Tags[i].Reasons = append(dp.rp.Tags[i].Reasons, "tag deleted alone: "+why)
	}
	dp.tagOnly = append(dp.tagOnly, Deletion{Digest: dg, Tags: tagNames(dp.l, ordinary.deleted), Kind: KindTag, Reason: why})
}

// planUntagged adds the untagged deletions to the plan, once the tagged
// ones are planned: referrers of manifests the plan deletes follow them
// (kind referrer), and an untagged manifest older than every untagged
// rule (and minAge) by push time that nothing which stays references
// goes (kind untagged). What stays is closed over index children, over
// subject in both directions, and over kept attachment tags.
func (dp *deletionPlan) planUntagged(now time.Time) {
	older, ok := dp.r.UntaggedRule(append([]string{dp.l.Repository}, dp.l.Aliases...)...)
	if !ok {
		return
	}
	if !dp.l.ListsUntagged {
		dp.rp.Notes = append(dp.rp.Notes, "untagged: this registry cannot list untagged manifests (its API lists tags only), so the untagged rule does nothing here")
		return
	}
	age := untaggedAge{now: now, older: older, minAge: dp.r.MinAge}
	set := untaggedCandidates(dp.l.Untagged, dp.tagged, dp.gone)
	dp.followDeletedSubjects(set)
	stays := staying(dp.l.Manifests, dp.stayingSeeds(set, age), set, dp.gone)
	dels, note := untaggedDeletions(dp.l.Manifests, set, dp.gone, stays, age)
	for _, d := range dels {
		dp.gone[d.Digest] = true
	}
	dp.untagged = append(dp.untagged, dels...)
	if note != "" {
		dp.rp.Notes = append(dp.rp.Notes, note)
	}
}

// followDeletedSubjects deletes the untagged referrers (signatures,
// attestations, SBOMs pushed with a subject) of manifests this plan
// deletes, whatever their age, after their subject; and theirs in turn.
func (dp *deletionPlan) followDeletedSubjects(set untaggedSet) {
	for changed := true; changed; {
		changed = false
		for _, dg := range set.order {
			subject := dp.l.Manifests[dg].Subject
			if dp.gone[dg] || subject == "" || !dp.gone[subject] {
				continue
			}
			dp.gone[dg] = true
			changed = true
			dp.referrers = append(dp.referrers, Deletion{Digest: dg, Tags: []string{}, Kind: KindReferrer, Parent: subject, Reason: "untagged referrer of " + subject + ", which is deleted"})
			dp.followChildren(dg)
		}
	}
}

// stayingSeeds lists what stays whatever the untagged rule says: every
// kept digest, every tagged one not deleted, the subject of every kept
// attachment tag, and the untagged manifests too young (or of unknown
// age) to go.
func (dp *deletionPlan) stayingSeeds(set untaggedSet, age untaggedAge) []string {
	var seeds []string
	for dg := range dp.kept {
		seeds = append(seeds, dg)
	}
	for dg := range dp.tagged {
		if !dp.gone[dg] {
			seeds = append(seeds, dg)
		}
	}
	for i, t := range dp.l.Tags {
		if subject, ok := manifest.AttachmentSubject(t.Name); ok && dp.rp.Tags[i].Action == Keep {
			seeds = append(seeds, subject)
		}
	}
	for _, dg := range set.order {
		if !dp.gone[dg] && !age.mayGo(set.pushed[dg]) {
			seeds = append(seeds, dg)
		}
	}
	return seeds
}
