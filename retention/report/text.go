package report

import (
	"bytes"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/regprune/regprune/retention"
)

// textWriter renders a plan for a terminal or a CI log. Compact tables
// fit o.width columns; verbose ones show every reason in full.
type textWriter struct {
	b     *bytes.Buffer
	o     options
	view  View
	apply bool
	now   time.Time
	// hidden counts repositories a deletions view leaves out because
	// there is nothing to say about them.
	hidden int
}

// writeText renders p: per repository a header line and its tables (or
// one table of counts in the summary view), then one summary line. An
// abort message comes first and last, where a reader of a long log looks.
func writeText(b *bytes.Buffer, p *retention.Plan, o options) {
	w := &textWriter{b: b, o: o, view: o.viewOf(p.Mode), apply: p.Mode == modeApply, now: p.GeneratedAt}
	if p.Aborted != "" {
		fmt.Fprintf(b, "ABORTED: %s\n\n", oneLine(p.Aborted))
	}
	if w.view == ViewSummary {
		w.summaryTable(p.Repositories, "")
	} else {
		for _, r := range p.Repositories {
			w.repo(r, "")
		}
	}
	for _, c := range p.Local {
		w.cache(c)
	}
	if w.hidden > 0 {
		fmt.Fprintf(b, "%s with nothing to delete not shown (--summary counts them, -o json lists them)\n",
			plural(w.hidden, "repository", "repositories"))
	}
	for _, n := range p.Notes {
		w.note("note: ", n)
	}
	for _, wn := range p.Warnings {
		fmt.Fprintf(b, "warning: %s\n", oneLine(wn.Message))
	}
	for _, line := range summaryLines(p) {
		b.WriteString(oneLine(line))
		b.WriteByte('\n')
	}
	if p.Aborted != "" {
		fmt.Fprintf(b, "ABORTED: %s\n", oneLine(p.Aborted))
	}
}

// width is how wide a table may be: 0 (no limit) when verbose.
func (w *textWriter) width() int {
	if w.o.verbose {
		return 0
	}
	return w.o.width
}

// note writes text after prefix, wrapped at spaces to the width, its
// lines after the first indented under the first's text.
func (w *textWriter) note(prefix, text string) {
	hang := strings.Repeat(" ", utf8.RuneCountInString(prefix))
	width := w.width()
	if width > 0 {
		width -= len(hang)
	}
	for i, line := range wrapWords(oneLine(text), width) {
		if i > 0 {
			prefix = hang
		}
		fmt.Fprintf(w.b, "%s%s\n", prefix, line)
	}
}

// repo renders one repository; indent is "  " inside a local cache.
func (w *textWriter) repo(r retention.RepoPlan, indent string) {
	if w.view == ViewDeletions && r.Error == "" && len(r.Deletions) == 0 && len(r.Notes) == 0 {
		w.hidden++
		return
	}
	policies := "none"
	if len(r.Policies) > 0 {
		policies = strings.Join(r.Policies, ", ")
	}
	fmt.Fprintf(w.b, "%s%s (policies: %s)", indent, oneLine(r.Repository), oneLine(policies))
	if w.view == ViewDeletions && r.Error == "" {
		keep, del := tagCounts(r)
		fmt.Fprintf(w.b, ": %s, %d keep, %d delete", plural(len(r.Tags), "tag", "tags"), keep, del)
	}
	if r.Error != "" {
		fmt.Fprintf(w.b, ": ERROR: %s", oneLine(r.Error))
	}
	w.b.WriteByte('\n')
	for _, n := range r.Notes {
		w.note(indent+"  note: ", n)
	}
	if w.view == ViewFull {
		w.tags(r, indent)
	}
	w.deletions(r, indent)
	if indent == "" {
		w.b.WriteByte('\n')
	}
}

func (w *textWriter) tags(r retention.RepoPlan, indent string) {
	if len(r.Tags) == 0 {
		if r.Error == "" {
			fmt.Fprintf(w.b, "%s  no tags\n", indent)
		}
		return
	}
	t := table{indent: indent + "  "}
	if w.o.verbose {
		t.add("TAG", "DIGEST", "CREATED", "ACTION", "REASONS")
	} else {
		t.add("TAG", "DIGEST", "AGE", "ACTION", "REASON")
	}
	for _, d := range r.Tags {
		if w.o.verbose {
			t.add(oneLine(tagCell(d.Tag)), oneLine(shortDigest(d.Digest)), timeCell(d),
				oneLine(string(d.Action)), oneLine(strings.Join(d.Reasons, "; ")))
			continue
		}
		t.add(compactTag(d.Tag), oneLine(shortDigest(d.Digest)), ageCell(clockTime(d), w.now, d.Clock),
			oneLine(string(d.Action)), compactReason(d.Reasons))
	}
	t.write(w.b, w.width())
}

func (w *textWriter) deletions(r retention.RepoPlan, indent string) {
	if len(r.Deletions) == 0 {
		if r.Error == "" {
			fmt.Fprintf(w.b, "%s  nothing to delete\n", indent)
		}
		return
	}
	fmt.Fprintf(w.b, "%s  %s:\n", indent, plural(len(r.Deletions), "deletion", "deletions"))
	t := table{indent: indent + "    "}
	head := []string{"KIND", "DIGEST", "TAGS", "REASON"}
	if w.apply {
		head = append([]string{"STATUS"}, head...)
	}
	t.add(head...)
	var failed []retention.Deletion
	lead := make([][]string, len(r.Deletions))
	for i, d := range r.Deletions {
		if w.apply {
			lead[i] = append(lead[i], oneLine(statusCell(d)))
		}
		lead[i] = append(lead[i], oneLine(string(d.Kind)), oneLine(shortDigest(d.Digest)))
		if d.Error != "" && !w.o.verbose {
			failed = append(failed, d)
		}
	}
	if w.o.verbose {
		for i, d := range r.Deletions {
			t.add(append(lead[i], oneLine(deletionTags(d)), oneLine(deletionDetail(d)))...)
		}
		t.write(w.b, 0)
	} else {
		// Tags are never cut: one line each, a tag wider than the
		// column can be wrapped onto the lines below.
		tagWidth := tagColumn(w.width(), len(t.indent), append([][]string{head[:len(head)-2]}, lead...))
		for i, d := range r.Deletions {
			for j, line := range compactTagLines(d, tagWidth) {
				if j == 0 {
					t.add(append(lead[i], line, compactText(deletionDetail(d)))...)
					continue
				}
				t.add(append(make([]string, len(lead[i])), line, "")...)
			}
		}
		t.write(w.b, w.width())
	}
	// A clipped error would hide what the registry said: each is
	// repeated in full under the table.
	for _, d := range failed {
		fmt.Fprintf(w.b, "%s    error %s: %s\n", indent, shortDigest(d.Digest), oneLine(d.Error))
	}
}

// summaryTable renders one row of counts per repository.
func (w *textWriter) summaryTable(repos []retention.RepoPlan, indent string) {
	if len(repos) == 0 {
		return
	}
	t := table{indent: indent}
	head := []string{"REPOSITORY", "TAGS", "KEEP", "DELETE", "DELETIONS"}
	if w.apply {
		head = append(head, "DELETED", "SKIPPED", "FAILED")
	}
	t.add(append(head, "ERROR")...)
	for _, r := range repos {
		keep, del := tagCounts(r)
		row := []string{oneLine(r.Repository), fmt.Sprint(len(r.Tags)), fmt.Sprint(keep), fmt.Sprint(del), fmt.Sprint(len(r.Deletions))}
		if w.apply {
			done, skipped, failed := statusCounts(r)
			row = append(row, fmt.Sprint(done), fmt.Sprint(skipped), fmt.Sprint(failed))
		}
		e := "-"
		if r.Error != "" {
			e = oneLine(r.Error)
		}
		t.add(append(row, e)...)
	}
	clipped := t.write(w.b, w.width())
	// A clipped error would hide what the registry said: each is
	// repeated in full under the table (row 0 is the header).
	for i, r := range repos {
		if clipped[i+1] {
			fmt.Fprintf(w.b, "%serror %s: %s\n", indent, oneLine(r.Repository), oneLine(r.Error))
		}
	}
	if indent == "" {
		w.b.WriteByte('\n')
	}
}

// cache renders one local cache: a header, its notes, its repositories
// as for a registry, the build cache and the bytes.
func (w *textWriter) cache(c retention.CachePlan) {
	fmt.Fprintf(w.b, "local cache %s", oneLine(c.Cache))
	if c.Error != "" {
		fmt.Fprintf(w.b, ": ERROR: %s", oneLine(c.Error))
	}
	w.b.WriteByte('\n')
	for _, n := range c.Notes {
		w.note("  note: ", n)
	}
	if w.view == ViewSummary {
		w.summaryTable(c.Repositories, "  ")
	} else {
		for _, r := range c.Repositories {
			w.repo(r, "  ")
		}
	}
	if bc := c.BuildCache; bc != nil {
		fmt.Fprintf(w.b, "  build cache: %s\n", oneLine(buildCacheLine(*bc)))
	}
	fmt.Fprintf(w.b, "  %s\n\n", bytesLine(c))
}

// tagCounts counts a repository's kept and deleted tags.
func tagCounts(r retention.RepoPlan) (keep, del int) {
	for _, t := range r.Tags {
		switch t.Action {
		case retention.Keep:
			keep++
		case retention.Delete:
			del++
		}
	}
	return keep, del
}

// statusCounts counts a repository's deletions by outcome.
func statusCounts(r retention.RepoPlan) (done, skipped, failed int) {
	for _, d := range r.Deletions {
		switch d.Status {
		case retention.StatusDeleted:
			done++
		case retention.StatusSkipped:
			skipped++
		case retention.StatusFailed:
			failed++
		}
	}
	return done, skipped, failed
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
