package report

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/regprune/regprune/retention"
)

// maxTagCell is the widest a tag is shown in the compact table; the full
// tag is in -o json and behind --verbose.
const maxTagCell = 32

// longDigest matches a full sha256 digest written either way registries
// and cosign do (sha256:… in a reason, sha256-… in a signature tag).
var longDigest = regexp.MustCompile(`sha256([:-])([0-9a-f]{12})[0-9a-f]{52}`)

// compactText shortens what a compact cell shows: full digests become
// their first twelve hex characters and "…".
func compactText(s string) string {
	return longDigest.ReplaceAllString(oneLine(s), "sha256$1$2…")
}

// compactTag is a tag as the compact table shows it.
func compactTag(tag string) string {
	return clip(compactText(tagCell(tag)), maxTagCell)
}

// compactReason is the first reason of a decision, without the "kept by"
// or "deleted by" the ACTION column already says, and with a count of the
// others.
func compactReason(reasons []string) string {
	if len(reasons) == 0 {
		return "-"
	}
	r := reasons[0]
	for _, p := range []string{"kept by ", "deleted by "} {
		r = strings.TrimPrefix(r, p)
	}
	r = compactText(r)
	if len(reasons) > 1 {
		r = fmt.Sprintf("(+%d) %s", len(reasons)-1, r)
	}
	return r
}

// compactTags lists a deletion's tags, or the parent it follows, up to
// about maxTagCell columns, then how many more.
func compactTags(d retention.Deletion) string {
	if len(d.Tags) == 0 {
		if d.Parent != "" {
			return "parent " + shortDigest(d.Parent)
		}
		return "-"
	}
	s := compactTag(d.Tags[0])
	for i, t := range d.Tags[1:] {
		next := s + ", " + compactTag(t)
		if len(next) > maxTagCell {
			return fmt.Sprintf("%s +%d", s, len(d.Tags)-1-i)
		}
		s = next
	}
	return s
}

// ageCell is how long before now a tag's time (clockTime) was: minutes
// under an hour, hours under two days, days under two years, then years,
// followed by the clock when it is not the creation time. Unknown stays
// "unknown"; without a time of reference the date is shown.
func ageCell(created *time.Time, now time.Time, clock string) string {
	if created == nil {
		return "unknown"
	}
	var s string
	d := now.Sub(*created)
	switch {
	case now.IsZero():
		s = created.UTC().Format("2006-01-02")
	case d < 0:
		s = "future"
	case d < time.Hour:
		s = fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		s = fmt.Sprintf("%dh", int(d/time.Hour))
	case d < 730*24*time.Hour:
		s = fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	default:
		s = fmt.Sprintf("%dy", int(d/(365*24*time.Hour)))
	}
	if clock != "" {
		s += " (" + clock + ")"
	}
	return s
}

// statusCell is a deletion's status, "-" before it is carried out.
func statusCell(d retention.Deletion) string {
	if d.Status == "" {
		return "-"
	}
	return string(d.Status)
}
