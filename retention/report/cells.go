package report

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/regprune/regprune/retention"
)

// shortHex is how many hex characters of a digest the text and Markdown
// reports show: twelve, as docker does for image IDs.
const shortHex = 12

// shortDigest returns the first twelve hex characters after the
// algorithm, or the whole digest when it has no recognisable form.
func shortDigest(d string) string {
	if d == "" {
		return "-"
	}
	_, hex, ok := strings.Cut(d, ":")
	if !ok || hex == "" {
		return d
	}
	if len(hex) > shortHex {
		hex = hex[:shortHex]
	}
	return hex
}

// createdCell renders a creation time in UTC to the second; a nil time is
// "unknown", never a guess.
func createdCell(t *time.Time) string {
	if t == nil {
		return "unknown"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// deletionTags names what a deletion removes besides its digest: its
// tags, or for a child or referrer the parent it follows.
func deletionTags(d retention.Deletion) string {
	switch {
	case len(d.Tags) > 0:
		return strings.Join(d.Tags, ", ")
	case d.Parent != "":
		return "parent " + shortDigest(d.Parent)
	default:
		return "-"
	}
}

// deletionDetail is the reason for a deletion, preceded by its error in
// an apply report.
func deletionDetail(d retention.Deletion) string {
	var parts []string
	if d.Error != "" {
		parts = append(parts, "error: "+d.Error)
	}
	if d.Reason != "" {
		parts = append(parts, d.Reason)
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, "; ")
}

// oneLine makes s safe for one table cell in a terminal: line breaks and
// tabs become spaces (they would break the table), other control
// characters and bidirectional overrides become U+FFFD (they could
// rewrite the terminal or reorder what the reader sees). Registry error
// messages end up here, so this is not only cosmetic.
func oneLine(s string) string {
	if strings.IndexFunc(s, unsafeRune) < 0 {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", " ")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case unsafeRune(r):
			return unicode.ReplacementChar
		}
		return r
	}, s)
}

func unsafeRune(r rune) bool {
	return unicode.IsControl(r) ||
		(r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
}

// plural returns "1 tag" or "2 tags".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// title names the document: "plan", "apply" or either "(dry run)".
func title(p *retention.Plan) string {
	t := p.Mode
	if t == "" {
		t = modePlan
	}
	if p.DryRun {
		t += " (dry run)"
	}
	return string(t)
}

// summaryLines is the account of the whole plan the text report ends
// with: the tags and deletions planned, then what apply did and what the
// local caches freed, each on its own line beginning with the title so a
// log search finds them all.
func summaryLines(p *retention.Plan) []string {
	s := p.Summary
	t := title(p)
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", t, plural(s.Repositories, "repository", "repositories"))
	if s.Failed > 0 {
		fmt.Fprintf(&b, " (%d failed)", s.Failed)
	}
	fmt.Fprintf(&b, ", %s: %d keep, %d delete; %s, %d tag-only, %s, %s",
		plural(s.Tags, "tag", "tags"), s.Keep, s.Delete,
		plural(s.Manifests, "manifest", "manifests"), s.TagOnly,
		plural(s.Children, "child", "children"), plural(s.Referrers, "referrer", "referrers"))
	if s.UntaggedManifests > 0 {
		fmt.Fprintf(&b, ", %d untagged", s.UntaggedManifests)
	}
	lines := []string{b.String()}
	if p.Mode == modeApply {
		line := fmt.Sprintf("%s deletions: %d deleted, %d skipped, %d failed", t, s.Deleted, s.Skipped, s.DeletionsFailed)
		if s.Untagged > 0 {
			line += fmt.Sprintf(", %d untagged (image kept)", s.Untagged)
		}
		lines = append(lines, line)
		if p.RunID != "" {
			lines = append(lines, fmt.Sprintf("%s run %s: regprune restore --run %s puts its deletions back", t, p.RunID, p.RunID))
		}
	}
	if s.LocalCaches > 0 {
		line := fmt.Sprintf("%s local: %s", t, plural(s.LocalCaches, "cache", "caches"))
		if s.LocalFailed > 0 {
			line += fmt.Sprintf(" (%d failed)", s.LocalFailed)
		}
		line += ", estimated " + retention.ByteSize(s.EstimatedBytes).String()
		if p.Mode == modeApply && !p.DryRun {
			line += ", reclaimed " + retention.ByteSize(s.ReclaimedBytes).String()
		}
		lines = append(lines, line)
	}
	return lines
}

// clockTime is the time the policies decided t on: its push time under
// clock: pushed, else the creation time (for a local image, the time of
// its clock).
func clockTime(t retention.TagDecision) *time.Time {
	if t.Clock == retention.ClockPushed {
		return t.Pushed
	}
	return t.Created
}

// tagCell names an untagged entry (a layout entry without a ref name).
func tagCell(tag string) string {
	if tag == "" {
		return "(untagged)"
	}
	return tag
}

// timeCell is the created cell, with the clock that decided a local
// image ("arrived" or "created") or a registry tag ("pushed").
func timeCell(t retention.TagDecision) string {
	c := createdCell(clockTime(t))
	if t.Clock != "" {
		c += " (" + t.Clock + ")"
	}
	return c
}
