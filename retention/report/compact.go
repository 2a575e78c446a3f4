package report

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

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

// minTagColumn is the narrowest the deletions table's TAGS column is
// made to fit its width: narrower, tags would be more wrap than tag.
const minTagColumn = 20

// tagColumn is how wide the deletions table's TAGS column may be for the
// table to fit width columns: half of what the columns before it (lead,
// each row's cells before TAGS, the header's included) leave, the other
// half being the reason's, and never so much that the reason has fewer
// than minLast. 0 (no limit) when width is.
func tagColumn(width, indent int, lead [][]string) int {
	if width <= 0 {
		return 0
	}
	used := indent
	for i := range lead[0] {
		w := 0
		for _, row := range lead {
			w = max(w, utf8.RuneCountInString(row[i]))
		}
		used += w + 2
	}
	free := width - used - 2
	return max(min(free/2, free-minLast), minTagColumn)
}

// compactTagLines lists a deletion's tags, or the parent it follows, one
// line each and whole (digests in signature tags shortened, as
// everywhere in the compact view): a tag wider than width (0: no limit)
// goes on over the lines below, indented by two columns, broken after a
// '/', ':', '-', '.' or '_' where one is near the end of the line.
func compactTagLines(d retention.Deletion, width int) []string {
	if len(d.Tags) == 0 {
		if d.Parent != "" {
			return []string{"parent " + shortDigest(d.Parent)}
		}
		return []string{"-"}
	}
	var lines []string
	for _, t := range d.Tags {
		lines = append(lines, wrapTag(compactText(tagCell(t)), width)...)
	}
	return lines
}

// minWrap is the narrowest wrapWords makes a line, however little room
// is left.
const minWrap = 40

// wrapWords breaks s at spaces into lines of at most width runes (at
// least minWrap; 0 is no limit). A word wider than a line is not cut:
// it has a line of its own.
func wrapWords(s string, width int) []string {
	if width <= 0 || utf8.RuneCountInString(s) <= width {
		return []string{s}
	}
	width = max(width, minWrap)
	var lines []string
	line, n := "", 0
	for _, word := range strings.Split(s, " ") {
		wn := utf8.RuneCountInString(word)
		switch {
		case n == 0:
			line, n = word, wn
		case n+1+wn <= width:
			line, n = line+" "+word, n+1+wn
		default:
			lines = append(lines, line)
			line, n = word, wn
		}
	}
	return append(lines, line)
}

// wrapTag breaks tag into lines of at most width runes, every line after
// the first indented by two.
func wrapTag(tag string, width int) []string {
	r := []rune(tag)
	if width <= 0 || len(r) <= width {
		return []string{tag}
	}
	var lines []string
	for prefix := ""; ; prefix = "  " {
		n := width - len(prefix)
		if len(r) <= n {
			return append(lines, prefix+string(r))
		}
		cut := n
		for i := n; i > n/2; i-- {
			if strings.ContainsRune("/:-._", r[i-1]) {
				cut = i
				break
			}
		}
		lines = append(lines, prefix+string(r[:cut]))
		r = r[cut:]
	}
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
