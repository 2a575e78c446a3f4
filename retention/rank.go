package retention

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
)

// parseSemver parses a tag as a semantic version, with one leading "v"
// allowed. Parsing is strict (MAJOR.MINOR.PATCH): a lenient parser would
// read date tags such as 20240101 as versions and rank them above every
// release.
func parseSemver(tag string) (*semver.Version, bool) {
	v, err := semver.StrictNewVersion(strings.TrimPrefix(tag, "v"))
	if err != nil {
		return nil, false
	}
	return v, true
}

// candidate is one tag under evaluation by a policy.
type candidate struct {
	idx     int // index into the repository's ordinary tags
	tag     string
	digest  string
	created time.Time // zero: unknown
	pushed  time.Time // the registry's push time; zero: unknown
	// firstSeen is when regprune first saw the digest; minAge reads it
	// when neither of the others is known.
	firstSeen time.Time
	// pulled is when the tag was last pulled (zero: never), where
	// pullsKnown says the registry reports it.
	pulled     time.Time
	pullsKnown bool
}

// byPush returns the candidates with their push time as the time the
// rules read (a policy with clock: pushed).
func byPush(cs []candidate) []candidate {
	out := make([]candidate, len(cs))
	for i, c := range cs {
		c.created = c.pushed
		out[i] = c
	}
	return out
}

// age returns the time minAge reads for c, and its name in reasons: the
// later of the creation and push times that are known (a manifest pushed
// yesterday is young, whatever its build date says).
func (c candidate) age(word string) (time.Time, string) {
	switch {
	case c.pushed.After(c.created):
		return c.pushed, ClockPushed
	case c.created.IsZero() && !c.firstSeen.IsZero():
		return c.firstSeen, clockFirstSeen
	}
	return c.created, word
}

// rankSemver returns, for each kept candidate, why: its version is among
// the highest n of its group. Tags that are not versions, and prereleases
// unless allowed, are ignored by the rule. Equal versions share a place.
// ranked marks the candidates the rule ranked.
func rankSemver(cs []candidate, rule *SemverRule) (kept map[int]string, ranked map[int]bool) {
	type ver struct {
		c candidate
		v *semver.Version
	}
	groups := map[string][]ver{}
	var order []string
	ranked = map[int]bool{}
	for _, c := range cs {
		v, ok := parseSemver(c.tag)
		if !ok || (v.Prerelease() != "" && !rule.Prerelease) {
			continue
		}
		ranked[c.idx] = true
		var key string
		switch rule.GroupBy {
		case "major":
			key = strconv.FormatUint(v.Major(), 10)
		case "minor":
			key = strconv.FormatUint(v.Major(), 10) + "." + strconv.FormatUint(v.Minor(), 10)
		}
		if _, seen := groups[key]; !seen {
			order = append(order, key)
		}
		groups[key] = append(groups[key], ver{c, v})
	}
	kept = map[int]string{}
	for _, key := range order {
		vs := groups[key]
		sort.SliceStable(vs, func(i, j int) bool { return vs[i].v.GreaterThan(vs[j].v) })
		place := 0
		for i, x := range vs {
			if i == 0 || !x.v.Equal(vs[i-1].v) {
				place++
			}
			if place > rule.Highest {
				break
			}
			where := ""
			if key != "" {
				where = " of " + key + ".x"
				if rule.GroupBy == "minor" {
					where = " of " + key + ".*"
				}
			}
			kept[x.c.idx] = "version " + x.v.String() + " is " + ordinal(place) + " highest" + where
		}
	}
	return kept, ranked
}

// rankNewest keeps the candidates on the n most recently created digests.
// Tags on one digest are one image and take one place, so a multi-tagged
// image never pushes another out. Candidates of unknown time take no place.
func rankNewest(cs []candidate, n int, word string) map[int]string {
	type image struct {
		digest  string
		created time.Time
		members []candidate
	}
	byDigest := map[string]*image{}
	var images []*image
	for _, c := range cs {
		if c.created.IsZero() {
			continue
		}
		im := byDigest[c.digest]
		if im == nil {
			im = &image{digest: c.digest, created: c.created}
			byDigest[c.digest] = im
			images = append(images, im)
		}
		im.members = append(im.members, c)
	}
	sort.SliceStable(images, func(i, j int) bool {
		if !images[i].created.Equal(images[j].created) {
			return images[i].created.After(images[j].created)
		}
		return images[i].digest < images[j].digest
	})
	kept := map[int]string{}
	for i, im := range images {
		if i >= n {
			break
		}
		for _, c := range im.members {
			kept[c.idx] = ordinal(i+1) + " newest (" + word + " " + c.created.UTC().Format(time.RFC3339) + ")"
		}
	}
	return kept
}

func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return strconv.Itoa(n) + suffix
}

// Ago says how long ago t was at now, in the largest sensible unit
// ("3d ago", "5h ago"); a time ahead of now (clocks disagree, or a
// builder's clock was wrong) reads "in the future (2h from now)", never
// "-7200s ago".
func Ago(now, t time.Time) string {
	d := now.Sub(t)
	if d < 0 {
		return "in the future (" + coarse(-d) + " from now)"
	}
	return coarse(d) + " ago"
}

// coarse formats d in the largest sensible unit.
func coarse(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	case d >= time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	case d >= time.Minute:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	default:
		return strconv.Itoa(int(d/time.Second)) + "s"
	}
}
