package retention

import "fmt"

// subjectFate says what became of an attachment tag's subject in the
// plan so far: goes says why the tag would go with it, or stays why it
// follows a subject that stays. Exactly one is set.
func subjectFate(subject string, l Listing, gone, kept, tagged map[string]bool) (goes, stays string) {
	switch {
	case gone[subject]:
		return "subject " + subject + " is deleted", ""
	case l.Missing[subject]:
		return "subject " + subject + " no longer exists", ""
	case l.Unplaced[subject] != "":
		return "", l.Unplaced[subject]
	case kept[subject]:
		return "", "follows its subject " + subject + ", which is kept"
	case tagged[subject]:
		return "", "follows its subject " + subject + ", whose tags are deleted alone"
	default:
		return "", "follows its subject " + subject + ", which exists untagged"
	}
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
