package retention

import (
	"fmt"
	"sort"
	"time"
)

// Pure helpers for the untagged part of the deletion plan (deletions.go
// owns the plan): they take values and return values, and change
// nothing they are given.

// untaggedSet holds the untagged manifests not yet planned: in listing
// order, with their push times.
type untaggedSet struct {
	order  []string
	pushed map[string]time.Time
}

// untaggedCandidates returns the listing's untagged manifests that no tag
// points at and the plan does not already delete, each once.
func untaggedCandidates(untagged []Untagged, tagged, gone map[string]bool) untaggedSet {
	set := untaggedSet{pushed: map[string]time.Time{}}
	for _, u := range untagged {
		if _, dup := set.pushed[u.Digest]; dup || tagged[u.Digest] || gone[u.Digest] {
			continue
		}
		set.pushed[u.Digest] = u.Pushed
		set.order = append(set.order, u.Digest)
	}
	return set
}

// untaggedAge is the untagged rule and minAge, as seen at now.
type untaggedAge struct {
	now           time.Time
	older, minAge time.Duration
}

// mayGo reports whether an untagged manifest pushed at is old enough to
// go by the untagged rule and minAge (unknown is not old).
func (a untaggedAge) mayGo(at time.Time) bool {
	return !at.IsZero() && a.now.Sub(at) >= a.older && a.now.Sub(at) >= a.minAge
}

// rule names the untagged rule in reasons and notes.
func (a untaggedAge) rule() string {
	return "untagged.olderThan " + Duration(a.older).String()
}

// staying returns everything that stays: the seeds, closed over index
// children and subjects, and the untagged referrers of what stays (and
// theirs in turn). Nothing gone stays.
func staying(manifests map[string]Manifest, seeds []string, set untaggedSet, gone map[string]bool) map[string]bool {
	stays := map[string]bool{}
	var stay func(dg string)
	// stay marks dg as staying, with its children and its subject.
	stay = func(dg string) {
		if stays[dg] || gone[dg] {
			return
		}
		stays[dg] = true
		m := manifests[dg]
		for _, c := range m.Children {
			stay(c)
		}
		if m.Subject != "" {
			stay(m.Subject)
		}
	}
	seeds = append([]string(nil), seeds...)
	sort.Strings(seeds)
	for _, dg := range seeds {
		stay(dg)
	}
	// A referrer of what stays stays with it; repeated, since keeping one
	// keeps what it references.
	for changed := true; changed; {
		changed = false
		for _, dg := range set.order {
			if subject := manifests[dg].Subject; !stays[dg] && !gone[dg] && subject != "" && stays[subject] {
				stay(dg)
				changed = true
			}
		}
	}
	return stays
}

// untaggedDeletions lists the untagged manifests that go, an index before
// the children it alone referenced, and a note on why the others stay
// ("" when none does).
func untaggedDeletions(manifests map[string]Manifest, set untaggedSet, gone, stays map[string]bool, age untaggedAge) ([]Deletion, string) {
	parent := map[string]string{}
	var goes []string
	// young, unknown and referenced count why untagged manifests stay.
	var young, unknown, referenced int
	for _, dg := range set.order {
		switch {
		case gone[dg]:
			continue
		case stays[dg] && set.pushed[dg].IsZero():
			unknown++
			continue
		case stays[dg] && !age.mayGo(set.pushed[dg]):
			young++
			continue
		case stays[dg]:
			referenced++
			continue
		}
		goes = append(goes, dg)
		for _, c := range manifests[dg].Children {
			if _, ok := parent[c]; !ok && c != dg {
				parent[c] = dg
			}
		}
	}
	// A referrer goes after its subject, and only once it is deleted:
	// never is a signature gone while its image stays.
	for _, dg := range goes {
		if subject := manifests[dg].Subject; subject != "" && subject != dg {
			parent[dg] = subject
		}
	}
	rule := age.rule()
	var dels []Deletion
	for _, dg := range goes {
		at := set.pushed[dg].UTC()
		d := Deletion{Digest: dg, Tags: []string{}, Kind: KindUntagged, Pushed: &at,
			Reason: fmt.Sprintf("untagged, pushed %s (%s), and nothing that stays references it", Ago(age.now, at), rule)}
		if p, ok := parent[dg]; ok && !stays[p] {
			d.Parent = p
			if manifests[dg].Subject == p {
				d.Reason += "; it refers to the untagged " + p + ", and goes after it"
			} else {
				d.Reason += "; listed by the untagged index " + p + ", and goes after it"
			}
		}
		dels = append(dels, d)
	}
	var note string
	if n := young + unknown + referenced; n > 0 {
		note = fmt.Sprintf("untagged: %d untagged manifest(s) stay: %d younger than %s or minAge, %d of unknown push time, %d referenced by what stays", n, young, rule, unknown, referenced)
	}
	return dels, note
}
