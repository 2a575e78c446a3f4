package report

import (
	"bytes"
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/regprune/regprune/retention"
)

// mdReserve is what a capped Markdown report keeps free for the lines
// that close it: the closing tags and the line saying what was left out.
const mdReserve = 2048

// mdReasonCell is the widest a compact Markdown reason is, in runes.
const mdReasonCell = 100

// markdownWriter renders a plan for a GitHub job summary, within
// o.maxBytes when that is set.
type markdownWriter struct {
	b     *bytes.Buffer
	o     options
	view  View
	apply bool
	now   time.Time
	// rows and repos count what the cap left out.
	rows, repos int
}

// writeMarkdown renders p: a heading, the abort message if any, a table
// of counts, then per repository a collapsed <details> section with its
// deletions (and its tags, in the full view). Failed repositories come
// first and open, so their errors are seen without a click.
func writeMarkdown(b *bytes.Buffer, p *retention.Plan, o options) {
	w := &markdownWriter{b: b, o: o, view: o.viewOf(p.Mode), apply: p.Mode == modeApply, now: p.GeneratedAt}
	fmt.Fprintf(b, "## regprune %s\n\n", mdText(title(p)))
	if p.Aborted != "" {
		fmt.Fprintf(b, "> **Aborted:** %s\n\n", mdText(p.Aborted))
	}
	if !p.GeneratedAt.IsZero() {
		fmt.Fprintf(b, "Generated %s.\n\n", p.GeneratedAt.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	writeMarkdownSummary(b, p)
	for _, wn := range p.Warnings {
		fmt.Fprintf(b, "> **Warning:** %s\n\n", mdText(wn.Message))
	}
	for _, failed := range []bool{true, false} {
		for _, r := range p.Repositories {
			if (r.Error != "") == failed {
				w.repo(r)
			}
		}
	}
	for _, c := range p.Local {
		w.cache(c)
	}
	for _, n := range p.Notes {
		fmt.Fprintf(b, "> %s\n\n", mdText(n))
	}
	w.trailer()
}

// full reports whether the cap leaves no room for what comes next.
func (w *markdownWriter) full(next int) bool {
	return w.o.maxBytes > 0 && w.b.Len()+next+mdReserve > w.o.maxBytes
}

// row writes one table row unless the cap is reached.
func (w *markdownWriter) row(cells ...string) {
	line := "| " + strings.Join(cells, " | ") + " |\n"
	if w.full(len(line)) {
		w.rows++
		return
	}
	w.b.WriteString(line)
}

func (w *markdownWriter) trailer() {
	if w.rows == 0 && w.repos == 0 {
		return
	}
	var parts []string
	if w.rows > 0 {
		parts = append(parts, plural(w.rows, "row", "rows"))
	}
	if w.repos > 0 {
		parts = append(parts, plural(w.repos, "repository", "repositories"))
	}
	where := w.o.fullReport
	if where == "" {
		where = "run with -o json --output-file FILE to keep every row"
	}
	fmt.Fprintf(w.b, "> **Not shown:** %s, beyond this report's cap of %s (GitHub drops a step summary over 1 MiB). The full report: %s.\n\n",
		strings.Join(parts, " and "), retention.ByteSize(w.o.maxBytes), mdText(where))
}

func writeMarkdownSummary(b *bytes.Buffer, p *retention.Plan) {
	s := p.Summary
	head := []string{"Repositories", "Failed", "Tags", "Keep", "Delete", "Manifests", "Tag-only", "Children", "Referrers"}
	vals := []int{s.Repositories, s.Failed, s.Tags, s.Keep, s.Delete, s.Manifests, s.TagOnly, s.Children, s.Referrers}
	if s.UntaggedManifests > 0 {
		head = append(head, "Untagged manifests")
		vals = append(vals, s.UntaggedManifests)
	}
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
	if p.RunID != "" {
		fmt.Fprintf(b, "Run `%s`: `regprune restore --run %s` puts its deletions back.\n\n", p.RunID, p.RunID)
	}
}

func (w *markdownWriter) repo(r retention.RepoPlan) {
	if w.full(512) {
		w.repos++
		return
	}
	name := "<code>" + html.EscapeString(oneLine(r.Repository)) + "</code>"
	keep, del := tagCounts(r)
	if r.Error != "" {
		fmt.Fprintf(w.b, "<details open>\n<summary>%s: <strong>failed</strong></summary>\n\n", name)
		fmt.Fprintf(w.b, "**Error:** %s\n\n", mdText(r.Error))
	} else {
		fmt.Fprintf(w.b, "<details>\n<summary>%s: %s, %d keep, %d delete; %s</summary>\n\n",
			name, plural(len(r.Tags), "tag", "tags"), keep, del,
			plural(len(r.Deletions), "deletion", "deletions"))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w.b, "**Note:** %s\n\n", mdText(n))
	}
	if len(r.Policies) > 0 {
		ps := make([]string, len(r.Policies))
		for i, p := range r.Policies {
			ps[i] = mdCode(p)
		}
		fmt.Fprintf(w.b, "Policies: %s\n\n", strings.Join(ps, ", "))
	} else {
		w.b.WriteString("Policies: none\n\n")
	}
	if w.view == ViewFull {
		w.tags(r, keep)
	}
	if w.view != ViewSummary {
		w.deletions(r)
	}
	w.b.WriteString("</details>\n\n")
}

// tags lists the tags to delete, and the kept ones too when verbose; kept
// tags are otherwise counted, which keeps the summary of a large
// registry small.
func (w *markdownWriter) tags(r retention.RepoPlan, keep int) {
	if len(r.Tags) == 0 {
		if r.Error == "" {
			w.b.WriteString("No tags.\n\n")
		}
		return
	}
	if !w.o.verbose && keep > 0 {
		fmt.Fprintf(w.b, "%s kept (listed with --verbose and in the JSON report).\n\n", plural(keep, "tag", "tags"))
	}
	if !w.o.verbose && keep == len(r.Tags) {
		return
	}
	mdRow(w.b, "Tag", "Digest", w.timeHead(), "Action", "Reasons")
	w.b.WriteString("|---|---|---|---|---|\n")
	for _, t := range r.Tags {
		if !w.o.verbose && t.Action == retention.Keep {
			continue
		}
		w.row(mdCode(w.tagText(t.Tag)), mdCode(shortDigest(t.Digest)), mdText(w.timeText(t)),
			mdText(string(t.Action)), mdText(w.reasonText(t.Reasons)))
	}
	w.b.WriteByte('\n')
}

func (w *markdownWriter) deletions(r retention.RepoPlan) {
	if len(r.Deletions) == 0 {
		if r.Error == "" {
			w.b.WriteString("Nothing to delete.\n\n")
		}
		return
	}
	w.b.WriteString("**Deletions**\n\n")
	if w.apply {
		mdRow(w.b, "Status", "Kind", "Digest", "Tags", "Reason")
		w.b.WriteString("|---|---|---|---|---|\n")
	} else {
		mdRow(w.b, "Kind", "Digest", "Tags", "Reason")
		w.b.WriteString("|---|---|---|---|\n")
	}
	for _, d := range r.Deletions {
		detail := deletionDetail(d)
		if !w.o.verbose && d.Error == "" {
			detail = clip(compactText(detail), mdReasonCell)
		}
		cells := []string{mdText(string(d.Kind)), mdCode(shortDigest(d.Digest)), mdDeletionTags(d), mdText(detail)}
		if w.apply {
			cells = append([]string{mdText(statusCell(d))}, cells...)
		}
		w.row(cells...)
	}
	w.b.WriteByte('\n')
}

func (w *markdownWriter) cache(c retention.CachePlan) {
	fmt.Fprintf(w.b, "### Local cache %s\n\n", mdText(c.Cache))
	if c.Error != "" {
		fmt.Fprintf(w.b, "**Error:** %s\n\n", mdText(c.Error))
	}
	for _, n := range c.Notes {
		fmt.Fprintf(w.b, "- %s\n", mdText(n))
	}
	if bc := c.BuildCache; bc != nil {
		fmt.Fprintf(w.b, "- build cache: %s\n", mdText(buildCacheLine(*bc)))
	}
	fmt.Fprintf(w.b, "- %s\n\n", mdText(bytesLine(c)))
	for _, r := range c.Repositories {
		w.repo(r)
	}
}

func (w *markdownWriter) timeHead() string {
	if w.o.verbose {
		return "Created"
	}
	return "Age"
}

func (w *markdownWriter) timeText(t retention.TagDecision) string {
	if w.o.verbose {
		return timeCell(t)
	}
	return ageCell(clockTime(t), w.now, t.Clock)
}

func (w *markdownWriter) tagText(tag string) string {
	if w.o.verbose {
		return tagCell(tag)
	}
	return compactTag(tag)
}

func (w *markdownWriter) reasonText(reasons []string) string {
	if w.o.verbose {
		return strings.Join(reasons, "; ")
	}
	return clip(compactReason(reasons), mdReasonCell)
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
