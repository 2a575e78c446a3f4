package retention

import (
	"fmt"
	"sort"
	"time"
)

// untaggedPlan decides a repository's untagged manifests, once the
// tagged ones are decided: what stays is closed over index children,
// over subject in both directions, and over kept attachment tags; an
// untagged manifest goes only when it is older than every untagged rule
// (and minAge) by push time and nothing that stays references it.
type untaggedPlan struct {
	dp    *deletionPlan
	now   time.Time
	older time.Duration

	pushed map[string]time.Time // every untagged manifest not yet gone
	order  []string             // the same, in listing order
	stays  map[string]bool
	// young, unknown and referenced count why untagged manifests stay,
	// for the note.
	young, unknown, referenced int
}

// planUntagged adds the untagged deletions to the plan: referrers of
// manifests the plan deletes follow them (kind referrer), the others
// that may go are kind untagged.
func (dp *deletionPlan) planUntagged(now time.Time) {
	older, ok := dp.r.UntaggedRule(append([]string{dp.l.Repository}, dp.l.Aliases...)...)
	if !ok {
		return
	}
	if !dp.l.ListsUntagged {
		dp.rp.Notes = append(dp.rp.Notes, "untagged: this registry cannot list untagged manifests (its API lists tags only), so the untagged rule does nothing here")
		return
	}
	up := &untaggedPlan{dp: dp, now: now, older: older, pushed: map[string]time.Time{}, stays: map[string]bool{}}
	for _, u := range dp.l.Untagged {
		if _, dup := up.pushed[u.Digest]; dup || dp.tagged[u.Digest] || dp.gone[u.Digest] {
			continue
		}
		up.pushed[u.Digest] = u.Pushed
		up.order = append(up.order, u.Digest)
	}
	up.followDeletedSubjects()
	up.markStaying()
	up.plan()
}

// followDeletedSubjects deletes the untagged referrers (signatures,
// attestations, SBOMs pushed with a subject) of manifests this plan
// deletes, whatever their age, after their subject; and theirs in turn.
func (up *untaggedPlan) followDeletedSubjects() {
	dp := up.dp
	for changed := true; changed; {
		changed = false
		for _, dg := range up.order {
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

// mayGo reports whether an untagged manifest is old enough to go by the
// untagged rule and minAge (unknown is not old).
func (up *untaggedPlan) mayGo(dg string) bool {
	at := up.pushed[dg]
	return !at.IsZero() && up.now.Sub(at) >= up.older && up.now.Sub(at) >= up.dp.r.MinAge
}

// markStaying marks everything that stays, and everything it references.
func (up *untaggedPlan) markStaying() {
	dp := up.dp
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
		if subject, ok := AttachmentSubject(t.Name); ok && dp.rp.Tags[i].Action == Keep {
			seeds = append(seeds, subject)
		}
	}
	for _, dg := range up.order {
		if !dp.gone[dg] && !up.mayGo(dg) {
			seeds = append(seeds, dg)
		}
	}
	sort.Strings(seeds)
	for _, dg := range seeds {
		up.stay(dg)
	}
	// A referrer of what stays stays with it; repeated, since keeping one
	// keeps what it references.
	for changed := true; changed; {
		changed = false
		for _, dg := range up.order {
			if subject := dp.l.Manifests[dg].Subject; !up.stays[dg] && !dp.gone[dg] && subject != "" && up.stays[subject] {
				up.stay(dg)
				changed = true
			}
		}
	}
}

// stay marks dg as staying, with its children and its subject.
func (up *untaggedPlan) stay(dg string) {
	if up.stays[dg] || up.dp.gone[dg] {
		return
	}
	up.stays[dg] = true
	m := up.dp.l.Manifests[dg]
	for _, c := range m.Children {
		up.stay(c)
	}
	if m.Subject != "" {
		up.stay(m.Subject)
	}
}

// plan lists the untagged manifests that go, an index before the
// children it alone referenced, and notes why the others stay.
func (up *untaggedPlan) plan() {
	dp := up.dp
	parent := map[string]string{}
	var goes []string
	for _, dg := range up.order {
		switch {
		case dp.gone[dg]:
			continue
		case up.stays[dg] && up.pushed[dg].IsZero():
			up.unknown++
			continue
		case up.stays[dg] && !up.mayGo(dg):
			up.young++
			continue
		case up.stays[dg]:
			up.referenced++
			continue
		}
		goes = append(goes, dg)
		for _, c := range dp.l.Manifests[dg].Children {
			if _, ok := parent[c]; !ok && c != dg {
				parent[c] = dg
			}
		}
	}
	// A referrer goes after its subject, and only once it is deleted:
	// never is a signature gone while its image stays.
	for _, dg := range goes {
		if subject := dp.l.Manifests[dg].Subject; subject != "" && subject != dg {
			parent[dg] = subject
		}
	}
	rule := "untagged.olderThan " + Duration(up.older).String()
	for _, dg := range goes {
		at := up.pushed[dg].UTC()
		d := Deletion{Digest: dg, Tags: []string{}, Kind: KindUntagged, Pushed: &at,
			Reason: fmt.Sprintf("untagged, pushed %s (%s), and nothing that stays references it", Ago(up.now, at), rule)}
		if p, ok := parent[dg]; ok && !up.stays[p] {
			d.Parent = p
			if dp.l.Manifests[dg].Subject == p {
				d.Reason += "; it refers to the untagged " + p + ", and goes after it"
			} else {
				d.Reason += "; listed by the untagged index " + p + ", and goes after it"
			}
		}
		dp.gone[dg] = true
		dp.untagged = append(dp.untagged, d)
	}
	if n := up.young + up.unknown + up.referenced; n > 0 {
		dp.rp.Notes = append(dp.rp.Notes, fmt.Sprintf("untagged: %d untagged manifest(s) stay: %d younger than %s or minAge, %d of unknown push time, %d referenced by what stays", n, up.young, rule, up.unknown, up.referenced))
	}
}
