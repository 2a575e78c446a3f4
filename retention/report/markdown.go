package report

import (
	"bytes"
	"fmt"
	"html"
	"strings"

	"github.com/regprune/regprune/retention"
)

// writeMarkdown renders p for a GitHub job summary: a heading, the abort
// message if any, a summary table, then per repository a collapsed
// <details> section with its tags and deletions. Failed repositories come
// first and open, so their errors are seen without a click.
func writeMarkdown(b *bytes.Buffer, p *retention.Plan) {
	fmt.Fprintf(b, "## regprune %s\n\n", mdText(title(p)))
	if p.Aborted != "" {
		fmt.Fprintf(b, "> **Aborted:** %s\n\n", mdText(p.Aborted))
	}
	if !p.GeneratedAt.IsZero() {
		fmt.Fprintf(b, "Generated %s.\n\n", p.GeneratedAt.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	writeMarkdownSummary(b, p)

	apply := p.Mode == modeApply
	for _, r := range p.Repositories {
		if r.Error != "" {
			writeMarkdownRepo(b, r, apply)
		}
	}
	for _, r := range p.Repositories {
		if r.Error == "" {
			writeMarkdownRepo(b, r, apply)
		}
	}
	for _, c := range p.Local {
		fmt.Fprintf(b, "### Local cache %s\n\n", mdText(c.Cache))
		if c.Error != "" {
			fmt.Fprintf(b, "**Error:** %s\n\n", mdText(c.Error))
		}
		for _, n := range c.Notes {
			fmt.Fprintf(b, "- %s\n", mdText(n))
		}
		if bc := c.BuildCache; bc != nil {
			fmt.Fprintf(b, "- build cache: %s\n", mdText(buildCacheLine(*bc)))
		}
		fmt.Fprintf(b, "- %s\n\n", mdText(bytesLine(c)))
		for _, r := range c.Repositories {
			writeMarkdownRepo(b, r, apply)
		}
	}
	for _, n := range p.Notes {
		fmt.Fprintf(b, "> %s\n\n", mdText(n))
	}
}

func writeMarkdownSummary(b *bytes.Buffer, p *retention.Plan) {
	s := p.Summary
	head := []string{"Repositories", "Failed", "Tags", "Keep", "Delete", "Manifests", "Tag-only", "Children", "Referrers"}
	vals := []int{s.Repositories, s.Failed, s.Tags, s.Keep, s.Delete, s.Manifests, s.TagOnly, s.Children, s.Referrers}
	if p.Mode == modeApply {
		head = append(head, "Deleted", "Skipped", "Failed deletions")
		vals = append(vals, s.Deleted, s.Skipped, s.DeletionsFailed)
		if s.Untagged > 0 {
			head = append(head, "Untagged")
			vals = append(vals, s.Untagged)
		}
	}
	row := make([]string, len(vals))
	for i, v := range vals {
		row[i] = fmt.Sprint(v)
	}
	mdRow(b, head...)
	b.WriteString("|" + strings.Repeat("---:|", len(head)) + "\n")
	mdRow(b, row...)
	b.WriteByte('\n')
}

func writeMarkdownRepo(b *bytes.Buffer, r retention.RepoPlan, apply bool) {
	name := "<code>" + html.EscapeString(oneLine(r.Repository)) + "</code>"
	if r.Error != "" {
		fmt.Fprintf(b, "<details open>\n<summary>%s: <strong>failed</strong></summary>\n\n", name)
		fmt.Fprintf(b, "**Error:** %s\n\n", mdText(r.Error))
	} else {
		keep, del := 0, 0
		for _, t := range r.Tags {
			switch t.Action {
			case retention.Keep:
				keep++
			case retention.Delete:
				del++
			}
		}
		fmt.Fprintf(b, "<details>\n<summary>%s: %s, %d keep, %d delete; %s</summary>\n\n",
			name, plural(len(r.Tags), "tag", "tags"), keep, del,
			plural(len(r.Deletions), "deletion", "deletions"))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(b, "**Note:** %s\n\n", mdText(n))
	}
	if len(r.Policies) > 0 {
		ps := make([]string, len(r.Policies))
		for i, p := range r.Policies {
			ps[i] = mdCode(p)
		}
		fmt.Fprintf(b, "Policies: %s\n\n", strings.Join(ps, ", "))
	} else {
		b.WriteString("Policies: none\n\n")
	}

	if len(r.Tags) > 0 {
		mdRow(b, "Tag", "Digest", "Created", "Action", "Reasons")
		b.WriteString("|---|---|---|---|---|\n")
		for _, t := range r.Tags {
			mdRow(b, mdCode(tagCell(t.Tag)), mdCode(shortDigest(t.Digest)), mdText(timeCell(t)),
				mdText(string(t.Action)), mdText(strings.Join(t.Reasons, "; ")))
		}
		b.WriteByte('\n')
	} else if r.Error == "" {
		b.WriteString("No tags.\n\n")
	}

	if len(r.Deletions) > 0 {
		b.WriteString("**Deletions**\n\n")
		if apply {
			mdRow(b, "Status", "Kind", "Digest", "Tags", "Reason")
			b.WriteString("|---|---|---|---|---|\n")
		} else {
			mdRow(b, "Kind", "Digest", "Tags", "Reason")
			b.WriteString("|---|---|---|---|\n")
		}
		for _, d := range r.Deletions {
			cells := []string{mdText(string(d.Kind)), mdCode(shortDigest(d.Digest)),
				mdDeletionTags(d), mdText(deletionDetail(d))}
			if apply {
				status := string(d.Status)
				if status == "" {
					status = "-"
				}
				cells = append([]string{mdText(status)}, cells...)
			}
			mdRow(b, cells...)
		}
		b.WriteByte('\n')
	} else if r.Error == "" {
		b.WriteString("Nothing to delete.\n\n")
	}
	b.WriteString("</details>\n\n")
}

// mdDeletionTags is deletionTags with tags and digests as code spans.
func mdDeletionTags(d retention.Deletion) string {
	switch {
	case len(d.Tags) > 0:
		tags := make([]string, len(d.Tags))
		for i, t := range d.Tags {
			tags[i] = mdCode(t)
		}
		return strings.Join(tags, ", ")
	case d.Parent != "":
		return "parent " + mdCode(shortDigest(d.Parent))
	default:
		return "-"
	}
}

// mdRow writes one table row of cells that are already escaped.
func mdRow(b *bytes.Buffer, cells ...string) {
	b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
}

// mdEscaper escapes what Markdown or the HTML GitHub allows in it would
// interpret: the table delimiter, inline markup, links and tags. A
// backslash escape is valid before any ASCII punctuation in CommonMark;
// "<", ">" and "&" become entities because raw HTML is rendered.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "|", `\|`, "`", "\\`", "*", `\*`, "_", `\_`, "~", `\~`,
	"[", `\[`, "]", `\]`, "#", `\#`,
	"&", "&amp;", "<", "&lt;", ">", "&gt;",
	"\r\n", "<br>", "\n", "<br>", "\r", "<br>",
)

// mdText escapes s for a table cell or a line of text: line breaks
// become <br>, so a multi-line registry error stays in its cell.
func mdText(s string) string {
	return mdEscaper.Replace(oneLineKeepBreaks(s))
}

// mdCode renders s as a code span when it can be one safely (tags,
// digests and policy names normally can), else as escaped text.
func mdCode(s string) string {
	if s == "" || strings.IndexFunc(s, notCodeSafe) >= 0 {
		return mdText(s)
	}
	return "`" + s + "`"
}

func notCodeSafe(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return false
	}
	return !strings.ContainsRune("._-:/@+=", r)
}

// oneLineKeepBreaks is oneLine that leaves line breaks for mdText to turn
// into <br>.
func oneLineKeepBreaks(s string) string {
	if strings.IndexFunc(s, unsafeRune) < 0 {
		return s
	}
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = oneLine(l)
	}
	return strings.Join(lines, "\n")
}
