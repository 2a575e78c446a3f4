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
	var attachments []int
	for i, t := range l.Tags {
		m := l.Manifests[t.Digest]
		td := TagDecision{Tag: t.Name, Digest: t.Digest, MediaType: m.MediaType}
		if !m.Created.IsZero() {
			c := m.Created.UTC()
			td.Created = &c
		}
		rp.Tags = append(rp.Tags, td)
		if _, ok := AttachmentSubject(t.Name); ok {
			attachments = append(attachments, i)
			continue
		}
		ordinary = append(ordinary, candidate{idx: i, tag: t.Name, digest: t.Digest, created: m.Created})
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
			applyOverrides(now, word, r, td, c.created)
		}
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

	planDeletions(r, l, &rp, attachments, pinned)
	return rp
}

// evaluatePolicy records, for every tag p governs, which of p's rules keep
// it, or why p would delete it.
func evaluatePolicy(now time.Time, word string, p *CompiledPolicy, tags []candidate, governed []bool, keptBy, deletedBy [][]string) {
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
	// verdicts[i] collects what p's rules say of mine[i].
	type verdict struct {
		kept, unknownTime, notes []string
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
		if len(sel) == 0 {
			continue
		}
		prefix := fmt.Sprintf("kept by policy %s %s: ", p.Name, rule.Label)
		switch {
		case rule.Semver != nil:
			ranks, versions := rankSemver(sel, rule.Semver)
			for _, c := range sel {
				v := &verdicts[pos[c.idx]]
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
				v := &verdicts[pos[c.idx]]
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
				v := &verdicts[pos[c.idx]]
				switch {
				case c.created.IsZero():
					v.unknownTime = append(v.unknownTime, rule.Label)
				case now.Sub(c.created) < rule.YoungerThan:
					v.kept = append(v.kept, prefix+word+" "+Ago(now, c.created))
				default:
					v.notes = append(v.notes, rule.Label+": "+word+" "+Ago(now, c.created))
				}
			}
		default:
			selected := prefix + "selected"
			for _, c := range sel {
				v := &verdicts[pos[c.idx]]
				v.kept = append(v.kept, selected)
			}
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
// children, then referrers. A manifest is deleted by digest only when every
// tag on it is deleted; a child only when nothing kept references it.
func planDeletions(r *Rules, l Listing, rp *RepoPlan, attachments []int, pinned map[int]string) {
	isAttachment := make(map[int]bool, len(attachments))
	for _, i := range attachments {
		isAttachment[i] = true
	}
	type digestTags struct {
		all, deleted []int
	}
	byDigest := map[string]*digestTags{}
	var digests []string
	for i, t := range l.Tags {
		if isAttachment[i] {
			continue
		}
		d := byDigest[t.Digest]
		if d == nil {
			d = &digestTags{}
			byDigest[t.Digest] = d
			digests = append(digests, t.Digest)
		}
		d.all = append(d.all, i)
		if rp.Tags[i].Action == Delete {
			d.deleted = append(d.deleted, i)
		}
	}

	// Everything reachable from a kept tag stays.
	kept := map[string]bool{}
	var keepReachable func(string)
	keepReachable = func(dg string) {
		if kept[dg] {
			return
		}
		kept[dg] = true
		for _, c := range l.Manifests[dg].Children {
			keepReachable(c)
		}
	}
	for i, t := range l.Tags {
		if !isAttachment[i] && rp.Tags[i].Action == Keep {
			keepReachable(t.Digest)
		}
	}
	// A tagged manifest whose OCI subject stays (a signature, attestation
	// or SBOM pushed under an ordinary tag) stays with it: its deleted
	// tags go alone. Repeat for referrers of referrers.
	referrerOf := map[string]string{}
	for changed := true; changed; {
		changed = false
		for _, dg := range digests {
			if subject := l.Manifests[dg].Subject; subject != "" && !kept[dg] && kept[subject] {
				referrerOf[dg] = subject
				keepReachable(dg)
				changed = true
			}
		}
	}

	// Attachment tags by the digest they point at, in listing order.
	attachedTo := map[string][]int{}
	var attachedDigests []string
	for _, i := range attachments {
		dg := l.Tags[i].Digest
		if attachedTo[dg] == nil {
			attachedDigests = append(attachedDigests, dg)
		}
		attachedTo[dg] = append(attachedTo[dg], i)
	}

	var tagOnly, indexes, images, children, referrers []Deletion
	gone := map[string]bool{} // digests deleted by digest
	for _, dg := range digests {
		d := byDigest[dg]
		if len(d.deleted) == 0 {
			continue
		}
		if !kept[dg] && len(attachedTo[dg]) > 0 {
			// An attachment tag points here too: the manifest's fate is
			// decided with the attachments, below.
			continue
		}
		names := tagNames(l, d.deleted)
		// kept holds every digest a kept tag points at or reaches through
		// an index: such a manifest stays, and its deleted tags go alone.
		if kept[dg] {
			var keptNames []string
			for _, i := range d.all {
				if rp.Tags[i].Action == Keep {
					keptNames = append(keptNames, l.Tags[i].Name)
				}
			}
			why := "digest shared with kept tag(s) " + strings.Join(keptNames, ", ")
			switch {
			case len(keptNames) > 0:
			case referrerOf[dg] != "":
				why = "the manifest refers to the kept " + referrerOf[dg] + " and stays with it"
			default:
				why = "digest still referenced by a kept index"
			}
			for _, i := range d.deleted {
				rp.Tags[i].Reasons = append(rp.Tags[i].Reasons, "tag deleted alone: "+why)
			}
			tagOnly = append(tagOnly, Deletion{Digest: dg, Tags: names, Kind: KindTag, Reason: why})
			continue
		}
		gone[dg] = true
		m := l.Manifests[dg]
		del := Deletion{Digest: dg, Tags: names, Kind: KindImage, Reason: "every tag on it is deleted"}
		if m.IsIndex() {
			del.Kind = KindIndex
			indexes = append(indexes, del)
		} else {
			images = append(images, del)
		}
	}

	// Children of deleted indexes follow them unless something kept
	// reaches them. Walk in plan order so the output is stable.
	tagged := map[string]bool{}
	for _, t := range l.Tags {
		tagged[t.Digest] = true
	}
	var followChildren func(parent string)
	followChildren = func(parent string) {
		for _, c := range l.Manifests[parent].Children {
			if kept[c] || gone[c] || tagged[c] {
				continue
			}
			gone[c] = true
			children = append(children, Deletion{Digest: c, Tags: []string{}, Kind: KindChild, Parent: parent, Reason: "child of deleted index " + parent})
			followChildren(c)
		}
	}
	for _, del := range indexes {
		followChildren(del.Digest)
	}

	// Attachments follow their subject. A manifest that attachment tags
	// point at goes only when every tag on it goes: a signature that stays
	// keeps its manifest, and ordinary tags on it go alone.
	for _, dg := range attachedDigests {
		whys := map[int]string{}
		all := true
		for _, i := range attachedTo[dg] {
			td := &rp.Tags[i]
			subject, _ := AttachmentSubject(l.Tags[i].Name)
			var why string
			switch {
			case gone[subject]:
				why = "subject " + subject + " is deleted"
			case l.Missing[subject]:
				why = "subject " + subject + " no longer exists"
			case l.Unplaced[subject] != "":
				td.Reasons = append(td.Reasons, l.Unplaced[subject])
			case kept[subject]:
				td.Reasons = append(td.Reasons, "follows its subject "+subject+", which is kept")
			case tagged[subject]:
				td.Reasons = append(td.Reasons, "follows its subject "+subject+", whose tags are deleted alone")
			default:
				td.Reasons = append(td.Reasons, "follows its subject "+subject+", which exists untagged")
			}
			if why == "" {
				all = false
				continue
			}
			if held := heldBy(r, pinned[i], l.Tags[i].Name); held != "" {
				td.Reasons = append(td.Reasons, held+" ("+why+")")
				all = false
				continue
			}
			whys[i] = why
		}
		var ordinary *digestTags
		if d := byDigest[dg]; d != nil && len(d.deleted) > 0 && !kept[dg] {
			ordinary = d // every ordinary tag here is deleted, else kept[dg]
		}
		if kept[dg] || gone[dg] || !all {
			var keptNames []string
			for _, i := range attachedTo[dg] {
				if _, goes := whys[i]; !goes {
					keptNames = append(keptNames, l.Tags[i].Name)
				}
			}
			for _, i := range attachedTo[dg] {
				if why, goes := whys[i]; goes {
					rp.Tags[i].Reasons = append(rp.Tags[i].Reasons, why+", but its manifest is still referenced")
				}
			}
			if ordinary != nil {
				why := "digest shared with kept attachment tag(s) " + strings.Join(keptNames, ", ")
				for _, i := range ordinary.deleted {
					rp.Tags[i].Reasons = append(rp.Tags[i].Reasons, "tag deleted alone: "+why)
				}
				tagOnly = append(tagOnly, Deletion{Digest: dg, Tags: tagNames(l, ordinary.deleted), Kind: KindTag, Reason: why})
			}
			continue
		}
		idx := append([]int(nil), attachedTo[dg]...)
		if ordinary != nil {
			idx = append(idx, ordinary.deleted...)
		}
		first := attachedTo[dg][0]
		subject, _ := AttachmentSubject(l.Tags[first].Name)
		for _, i := range attachedTo[dg] {
			rp.Tags[i].Action = Delete
			rp.Tags[i].Reasons = append(rp.Tags[i].Reasons, "deleted with its subject: "+whys[i])
		}
		gone[dg] = true
		referrers = append(referrers, Deletion{Digest: dg, Tags: tagNames(l, idx), Kind: KindReferrer, Parent: subject, Reason: whys[first]})
		// A referrers fallback index lists referrers; they go with it.
		for _, c := range l.Manifests[dg].Children {
			if kept[c] || gone[c] || tagged[c] {
				continue
			}
			gone[c] = true
			referrers = append(referrers, Deletion{Digest: c, Tags: []string{}, Kind: KindReferrer, Parent: subject, Reason: "listed in the referrers index of " + subject})
		}
	}

	images, referrers = followSubjects(l, images, referrers, gone)
	for _, group := range [][]Deletion{tagOnly, indexes, images, children, referrers} {
		rp.Deletions = append(rp.Deletions, group...)
	}
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
	if word == "arrived" {
		return "arrival time"
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
			if k.Semver != nil || k.Newest > 0 || k.YoungerThan > 0 {
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
