package report

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// table is a text table whose last column gives way: when a row would be
// wider than width, the last cell is clipped with "…" (never below
// minLast columns). Cells must already be one line (oneLine); a row
// whose cells are empty but some continues the row above.
type table struct {
	indent string
	rows   [][]string
}

// minLast is the narrowest the last column is clipped to, so a reason
// keeps a few words even beside a very long tag.
const minLast = 24

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

// write renders the table in columns two spaces apart, and reports
// which rows had their last cell clipped (by index in the rows added).
// width 0 never clips.
func (t *table) write(b *bytes.Buffer, width int) (clipped map[int]bool) {
	if len(t.rows) == 0 {
		return nil
	}
	n := len(t.rows[0])
	widths := make([]int, n)
	for _, r := range t.rows {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	last := -1
	if width > 0 {
		used := utf8.RuneCountInString(t.indent)
		for _, w := range widths[:n-1] {
			used += w + 2
		}
		last = max(width-used, minLast)
	}
	clipped = map[int]bool{}
	for j, r := range t.rows {
		b.WriteString(t.indent)
		var line strings.Builder
		for i, c := range r {
			if i == n-1 {
				if last >= 0 && utf8.RuneCountInString(c) > last {
					c = clip(c, last)
					clipped[j] = true
				}
				line.WriteString(c)
				break
			}
			line.WriteString(c)
			line.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2))
		}
		// A row whose last cells are empty (a tag's second line) ends
		// where its text does.
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
	return clipped
}

// clip shortens s to at most n runes, the last of them "…".
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n < 1 {
		return ""
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
