package retention

import (
	"fmt"
	"sort"
	"strings"
	"time"
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
		rp.Tags = append(rp.Tags, td)
		if _, ok := AttachmentSubject(t.Name); ok {
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
		if _, ok := p.Tags.Match(t.Name); len(p.Keep) > 0 && (len(p.Tags) == 0 || ok) {
			governed = true
		}
	}
	if !governed {
		td.Action = Keep
		td.Reasons = []string{"a placeholder left by an earlier run, but no policy governs this tag"}
		return
	}
	td.Action = Delete
	td.Reasons = []string{"a placeholder left by an earlier run that was removing this tag (" + PlaceholderAnnotation + ")"}
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

// verdict collects what one policy's keep rules say of one tag.
type verdict struct {
	kept, unknownTime, notes []string
}

// applyRule records what one keep rule says of the tags it selects.
func applyRule(now time.Time, word, policy string, rule CompiledRule, sel []candidate, of func(candidate) *verdict) {
	prefix := fmt.Sprintf("kept by policy %s %s: ", policy, rule.Label)
	switch {
	case rule.Semver != nil:
		ranks, versions := rankSemver(sel, rule.Semver)
		for _, c := range sel {
			v := of(c)
			if why, ok := ranks[c.idx]; ok {
				v.kept = append(v.kept, prefix+why)
			} else if versions[c.idx] {
				v.notes = append(v.notes, rule.Label+" ranks it below the highest")
			}
		}
	case rule.Newest > 0:
		ranks := rankNewest(sel, rule.Newest, word)
		notKept := fmt.Sprintf("%s: not among the %d newest", rule.Label, rule.Newest)
		for _, c := range sel {
			v := of(c)
			if why, ok := ranks[c.idx]; ok {
				v.kept = append(v.kept, prefix+why)
			} else if c.created.IsZero() {
				v.unknownTime = append(v.unknownTime, rule.Label)
			} else {
				v.notes = append(v.notes, notKept)
			}
		}
	case rule.YoungerThan > 0:
		for _, c := range sel {
			v := of(c)
			switch {
			case c.created.IsZero():
				v.unknownTime = append(v.unknownTime, rule.Label)
			case now.Sub(c.created) < rule.YoungerThan:
				v.kept = append(v.kept, prefix+word+" "+Ago(now, c.created))
			default:
				v.notes = append(v.notes, rule.Label+": "+word+" "+Ago(now, c.created))
			}
		}
	case rule.PulledWithin > 0:
		for _, c := range sel {
			v := of(c)
			switch {
			case !c.pullsKnown:
				v.kept = append(v.kept, prefix+"the registry reports no pull times (unknown is not old)")
			case c.pulled.IsZero():
				v.notes = append(v.notes, rule.Label+": never pulled")
			case now.Sub(c.pulled) < rule.PulledWithin:
				v.kept = append(v.kept, prefix+"pulled "+Ago(now, c.pulled))
			default:
				v.notes = append(v.notes, rule.Label+": pulled "+Ago(now, c.pulled))
			}
		}
	default:
		for _, c := range sel {
			v := of(c)
			v.kept = append(v.kept, prefix+"selected")
		}
	}
}

// evaluatePolicy records, for every tag p governs, which of p's rules keep
// it, or why p would delete it.
func evaluatePolicy(now time.Time, word string, p *CompiledPolicy, tags []candidate, governed []bool, keptBy, deletedBy [][]string) {
	if len(p.Keep) == 0 {
		return // an untagged rule alone: the policy governs no tags
	}
	if p.Clock == ClockPushed {
		tags, word = byPush(tags), ClockPushed
	}
	mine := tags
	if len(p.Tags) > 0 {
		mine = make([]candidate, 0, len(tags))
	}
	for _, c := range tags {
		if len(p.Tags) > 0 {
			if _, ok := p.Tags.Match(c.tag); !ok {
				continue
			}
		}
		governed[c.idx] = true
		if len(p.Tags) > 0 {
			mine = append(mine, c)
		}
	}
	if len(mine) == 0 {
		return
	}
	verdicts := make([]verdict, len(mine))
	// pos maps a tag's index to its place in mine.
	pos := make([]int32, len(governed))
	for i, c := range mine {
		pos[c.idx] = int32(i)
	}
	for _, rule := range p.Keep {
		sel := mine
		if len(rule.Tags) > 0 {
			sel = nil
			for _, c := range mine {
				if _, ok := rule.Tags.Match(c.tag); ok {
					sel = append(sel, c)
				}
			}
		}
		if len(sel) > 0 {
			applyRule(now, word, p.Name, rule, sel, func(c candidate) *verdict { return &verdicts[pos[c.idx]] })
		}
	}
	deleted := fmt.Sprintf("deleted by policy %s: no keep rule keeps it", p.Name)
	for i, c := range mine {
		v := verdicts[i]
		switch {
		case len(v.kept) > 0:
			keptBy[c.idx] = append(keptBy[c.idx], v.kept...)
		case len(v.unknownTime) > 0:
			keptBy[c.idx] = append(keptBy[c.idx], "kept by policy "+p.Name+": "+timeName(word)+" unknown, so "+strings.Join(v.unknownTime, ", ")+" cannot rank it (unknown is not old)")
		case len(v.notes) > 0:
			deletedBy[c.idx] = append(deletedBy[c.idx], deleted+" ("+strings.Join(v.notes, "; ")+")")
		default:
			deletedBy[c.idx] = append(deletedBy[c.idx], deleted)
		}
	}
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
		subject, _ := AttachmentSubject(dp.l.Tags[i].Name)
		var why string
		switch {
		case dp.gone[subject]:
			why = "subject " + subject + " is deleted"
		case dp.l.Missing[subject]:
			why = "subject " + subject + " no longer exists"
		case dp.l.Unplaced[subject] != "":
			td.Reasons = append(td.Reasons, dp.l.Unplaced[subject])
		case dp.kept[subject]:
			td.Reasons = append(td.Reasons, "follows its subject "+subject+", which is kept")
		case dp.tagged[subject]:
			td.Reasons = append(td.Reasons, "follows its subject "+subject+", whose tags are deleted alone")
		default:
			td.Reasons = append(td.Reasons, "follows its subject "+subject+", which exists untagged")
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
	subject, _ := AttachmentSubject(dp.l.Tags[first].Name)
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

// followSubjects turns the deletion of an ordinarily tagged manifest
// whose subject this plan deletes too (an SBOM tagged sbom-old for old)
// into a referrer of that subject: it runs after the subject, and only
// when the subject's deletion succeeded (execute checks it), so an SBOM
// is never deleted while its image stays.
func followSubjects(l Listing, images, referrers []Deletion, gone map[string]bool) ([]Deletion, []Deletion) {
	kept := images[:0]
	for _, d := range images {
		if subject := l.Manifests[d.Digest].Subject; subject != "" && gone[subject] {
			d.Kind, d.Parent = KindReferrer, subject
			d.Reason += "; it refers to " + subject + ", and goes after it"
			referrers = append(referrers, d)
			continue
		}
		kept = append(kept, d)
	}
	return kept, referrers
}

func tagNames(l Listing, idx []int) []string {
	out := make([]string, 0, len(idx))
	for _, i := range idx {
		out = append(out, l.Tags[i].Name)
	}
	sort.Strings(out)
	return out
}

// timeName names the clock's time in reasons.
func timeName(word string) string {
	switch word {
	case ClockArrived:
		return "arrival time"
	case ClockPushed:
		return "push time"
	case ClockFirstSeen:
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
		for _, k := range p.Keep {
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

// heldBy says why an attachment tag that would follow its subject stays:
// protect.tags, or a keep rule that selects it (pin); "" when nothing
// holds it.
func heldBy(r *Rules, pin, tag string) string {
	if p, ok := r.Protect.Match(tag); ok {
		return fmt.Sprintf("protected by protect.tags %q", p.String())
	}
	return pin
}
