package report

import (
	"bytes"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/regprune/regprune/retention"
)

// writeText renders p for a terminal or a CI log: per repository a header
// line, a table of tags and a table of deletions, then one summary line.
// An abort message comes first and last, where a reader of a long log
// looks.
func writeText(b *bytes.Buffer, p *retention.Plan) {
	if p.Aborted != "" {
		fmt.Fprintf(b, "ABORTED: %s\n\n", oneLine(p.Aborted))
	}
	apply := p.Mode == modeApply
	for _, r := range p.Repositories {
		writeTextRepo(b, r, apply)
		b.WriteByte('\n')
	}
	for _, c := range p.Local {
		writeTextCache(b, c, apply)
	}
	for _, n := range p.Notes {
		fmt.Fprintf(b, "note: %s\n", oneLine(n))
	}
	b.WriteString(oneLine(summaryLine(p)))
	b.WriteByte('\n')
	if p.Aborted != "" {
		fmt.Fprintf(b, "ABORTED: %s\n", oneLine(p.Aborted))
	}
}

func writeTextRepo(b *bytes.Buffer, r retention.RepoPlan, apply bool) {
	policies := "none"
	if len(r.Policies) > 0 {
		policies = strings.Join(r.Policies, ", ")
	}
	fmt.Fprintf(b, "%s (policies: %s)", oneLine(r.Repository), oneLine(policies))
	if r.Error != "" {
		fmt.Fprintf(b, ": ERROR: %s", oneLine(r.Error))
	}
	b.WriteByte('\n')
	for _, n := range r.Notes {
		fmt.Fprintf(b, "  note: %s\n", oneLine(n))
	}

	if len(r.Tags) == 0 {
		if r.Error == "" {
			b.WriteString("  no tags\n")
		}
	} else {
		tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  TAG\tDIGEST\tCREATED\tACTION\tREASONS")
		for _, t := range r.Tags {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n",
				oneLine(tagCell(t.Tag)), oneLine(shortDigest(t.Digest)), timeCell(t),
				oneLine(string(t.Action)), oneLine(strings.Join(t.Reasons, "; ")))
		}
		tw.Flush() // writes to a bytes.Buffer cannot fail
	}

	if len(r.Deletions) == 0 {
		if r.Error == "" {
			b.WriteString("  nothing to delete\n")
		}
		return
	}
	fmt.Fprintf(b, "  %s:\n", plural(len(r.Deletions), "deletion", "deletions"))
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	if apply {
		fmt.Fprintln(tw, "    STATUS\tKIND\tDIGEST\tTAGS\tREASON")
	} else {
		fmt.Fprintln(tw, "    KIND\tDIGEST\tTAGS\tREASON")
	}
	for _, d := range r.Deletions {
		if apply {
			status := string(d.Status)
			if status == "" {
				status = "-"
			}
			fmt.Fprintf(tw, "    %s\t", oneLine(status))
		} else {
			fmt.Fprint(tw, "    ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n",
			oneLine(string(d.Kind)), oneLine(shortDigest(d.Digest)),
			oneLine(deletionTags(d)), oneLine(deletionDetail(d)))
	}
	tw.Flush()
}

// writeTextCache renders one local cache: a header, its notes, its
// repositories as for a registry, the build cache and the bytes.
func writeTextCache(b *bytes.Buffer, c retention.CachePlan, apply bool) {
	fmt.Fprintf(b, "local cache %s", oneLine(c.Cache))
	if c.Error != "" {
		fmt.Fprintf(b, ": ERROR: %s", oneLine(c.Error))
	}
	b.WriteByte('\n')
	for _, n := range c.Notes {
		fmt.Fprintf(b, "  note: %s\n", oneLine(n))
	}
	for _, r := range c.Repositories {
		writeTextRepo(b, r, apply)
	}
	if bc := c.BuildCache; bc != nil {
		fmt.Fprintf(b, "  build cache: %s\n", oneLine(buildCacheLine(*bc)))
	}
	fmt.Fprintf(b, "  %s\n\n", bytesLine(c))
}

func buildCacheLine(bc retention.BuildCachePlan) string {
	line := "prune records unused for " + bc.OlderThan
	if bc.OlderThan == "" {
		line = "prune unused records"
	}
	if bc.KeepStorage > 0 {
		line += ", keeping " + retention.ByteSize(bc.KeepStorage).String()
	}
	if bc.Status != "" {
		line += ": " + string(bc.Status)
		if bc.Status == retention.StatusDeleted {
			line += ", " + retention.ByteSize(bc.ReclaimedBytes).String() + " reclaimed"
		}
	}
	if bc.Error != "" {
		line += ": " + bc.Error
	}
	return line
}

func bytesLine(c retention.CachePlan) string {
	line := "estimated to free " + retention.ByteSize(c.EstimatedBytes).String()
	if c.ReclaimedBytes != nil {
		line += "; measured reclaimed " + retention.ByteSize(*c.ReclaimedBytes).String()
	}
	return line
}
