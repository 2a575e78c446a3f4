package report

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/regprune/regprune/retention"
)

// widePlan is a plan made to be wide: cosign signature tags, reasons of
// 200 characters with full digests in them, many tags on one digest, a
// failed deletion with a long registry error and a note of 150 characters.
func widePlan(mode retention.Mode, n int) *retention.Plan {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	long := "deleted by policy api: no keep rule keeps it (keep[1] (newest 3 of tags main-*, pr-*): not among the 3 newest; keep[2] (youngerThan 14d): created 90d ago; subject " + dg("9") + ")"
	note := "untagged: 5 untagged manifest(s) stay: 1 younger than untagged.olderThan 7d or minAge, 0 of unknown push time, 4 referenced by what stays (" + dg("c") + ")"
	r := retention.RepoPlan{Repository: "registry.example.com/team/app", Policies: []string{"api"}, Notes: []string{note}}
	for i := range n {
		created := now.Add(-time.Duration(i) * time.Hour)
		tag := fmt.Sprintf("main-%040d", i)
		if i%3 == 0 {
			tag = "sha256-" + strings.Repeat(fmt.Sprintf("%x", i%16), 64) + ".sig"
		}
		r.Tags = append(r.Tags, retention.TagDecision{Tag: tag, Digest: dg(fmt.Sprintf("%x", i%16)), Created: &created, Action: retention.Delete, Reasons: []string{long, "another reason"}})
		d := retention.Deletion{Digest: dg(fmt.Sprintf("%x", i%16)), Tags: []string{tag, tag + "-a", tag + "-b"}, Kind: retention.KindImage, Reason: long}
		if i%5 == 0 {
			d = retention.Deletion{Digest: dg("a"), Kind: retention.KindChild, Parent: dg("b"), Reason: "child of deleted index " + dg("b")}
		}
		if mode == modeApply {
			d.Status = retention.StatusDeleted
			if i%7 == 0 {
				d.Status, d.Error = retention.StatusFailed, "DELETE: UNSUPPORTED: "+strings.Repeat("the registry refuses this ", 8)
			}
		}
		r.Deletions = append(r.Deletions, d)
	}
	p := &retention.Plan{SchemaVersion: retention.SchemaVersion, Mode: mode, GeneratedAt: now, Repositories: []retention.RepoPlan{r}}
	p.Summarize()
	return p
}

// TestCompactFitsWidth: every table row of the compact text report fits
// the width, in every view; only the lines that repeat a registry error
// in full may be wider.
func TestCompactFitsWidth(t *testing.T) {
	t.Parallel()
	for _, mode := range []retention.Mode{modePlan, modeApply} {
		for _, view := range []View{ViewAuto, ViewFull, ViewDeletions, ViewSummary} {
			for _, width := range []int{100, DefaultWidth} {
				p := widePlan(mode, 50)
				p.Notes = p.Repositories[0].Notes
				var b bytes.Buffer
				if err := Write(&b, p, Text, WithView(view), WithWidth(width)); err != nil {
					t.Fatal(err)
				}
				for i, line := range strings.Split(b.String(), "\n") {
					if strings.HasPrefix(strings.TrimSpace(line), "error ") {
						continue
					}
					if n := utf8.RuneCountInString(line); n > width {
						t.Errorf("%s view %q width %d: line %d is %d columns:\n%s", mode, view, width, i+1, n, line)
					}
				}
			}
		}
	}
}

// TestApplyReportsWhatItDid: apply's report is the deletions with their
// status, not the tag table again, so it is about one line a tag deleted
// (the deletions table lists each whole: widePlan's 47-column tags take
// two lines each).
func TestApplyReportsWhatItDid(t *testing.T) {
	t.Parallel()
	const n = 2000
	p := widePlan(modeApply, n)
	var b bytes.Buffer
	if err := Write(&b, p, Text); err != nil {
		t.Fatal(err)
	}
	tags := 0
	for _, d := range p.Repositories[0].Deletions {
		tags += max(len(d.Tags), 1)
	}
	out := b.String()
	if strings.Contains(out, "ACTION") {
		t.Errorf("apply report repeats the tag table")
	}
	lines := strings.Count(out, "\n")
	failed := (n + 6) / 7
	if want := 2*tags + failed + 10; lines > want {
		t.Errorf("apply report of %d deletions of %d tags has %d lines, want at most %d", n, tags, lines, want)
	}
	if !strings.Contains(out, "error ") || !strings.Contains(out, strings.Repeat("the registry refuses this ", 8)) {
		t.Errorf("a failed deletion's error is not shown in full")
	}
}

func TestAgeCell(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
	tests := []struct {
		created *time.Time
		now     time.Time
		clock   string
		want    string
	}{
		{nil, now, "", "unknown"},
		{ago(30 * time.Minute), now, "", "30m"},
		{ago(47 * time.Hour), now, "", "47h"},
		{ago(49 * time.Hour), now, "", "2d"},
		{ago(729 * 24 * time.Hour), now, "arrived", "729d (arrived)"},
		{ago(3 * 365 * 24 * time.Hour), now, "", "3y"},
		{ago(-time.Hour), now, "", "future"},
		{ago(time.Hour), time.Time{}, "", "2026-12-01"},
	}
	for _, tt := range tests {
		if got := ageCell(tt.created, tt.now, tt.clock); got != tt.want {
			t.Errorf("ageCell(%v, %v, %q) = %q, want %q", tt.created, tt.now, tt.clock, got, tt.want)
		}
	}
}

func TestCompactCells(t *testing.T) {
	t.Parallel()
	sig := "sha256-" + strings.Repeat("ab", 32) + ".sig"
	if got, want := compactTag(sig), "sha256-abababababab….sig"; got != want {
		t.Errorf("compactTag(sig) = %q, want %q", got, want)
	}
	if got := compactTag(strings.Repeat("x", 60)); utf8.RuneCountInString(got) != maxTagCell {
		t.Errorf("compactTag(60 x) = %q, want %d runes", got, maxTagCell)
	}
	if got, want := compactReason([]string{"kept by policy api keep[0]: 1st", "b"}), "(+1) policy api keep[0]: 1st"; got != want {
		t.Errorf("compactReason = %q, want %q", got, want)
	}
	d := retention.Deletion{Tags: []string{"a", "b", strings.Repeat("c", 31), "d", sig}}
	if diff := cmp.Diff([]string{"a", "b", strings.Repeat("c", 31), "d", "sha256-abababababab….sig"}, compactTagLines(d, 40)); diff != "" {
		t.Errorf("compactTagLines (-want +got):\n%s", diff)
	}
	ref := "registry.example.com/platform/payments/settlement-service:main-0123456789abcdef"
	want := []string{"registry.example.com/platform/", "  payments/settlement-service:", "  main-0123456789abcdef"}
	if diff := cmp.Diff(want, compactTagLines(retention.Deletion{Tags: []string{ref}}, 30)); diff != "" {
		t.Errorf("a tag wider than its column (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"abcdefghij", "  klmnopqr", "  stuvwxyz"}, wrapTag("abcdefghijklmnopqrstuvwxyz", 10)); diff != "" {
		t.Errorf("a tag with nowhere to break (-want +got):\n%s", diff)
	}
	words := "gate: 1 round of resolving every tag; the largest window a request relied on was 12ms " + dg("d")
	want = []string{"gate: 1 round of resolving every tag; the largest", "window a request relied on was 12ms", dg("d")}
	if diff := cmp.Diff(want, wrapWords(words, 50)); diff != "" {
		t.Errorf("wrapWords (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{words}, wrapWords(words, 0)); diff != "" {
		t.Errorf("wrapWords without a width (-want +got):\n%s", diff)
	}
}

// tagsColumn reads the tags back from a text report's deletions tables
// (the lines under the heading that are as long): the text between the
// TAGS and REASON headings, a line indented there continuing the tag
// above.
func tagsColumn(out string) []string {
	var tags []string
	from, to := -1, -1
	for _, line := range strings.Split(out, "\n") {
		if i := strings.Index(line, "TAGS"); i >= 0 && strings.Contains(line, "REASON") {
			from, to = i, strings.Index(line, "REASON")
			continue
		}
		if from < 0 || len(line) <= from {
			from = -1
			continue
		}
		cell := strings.TrimRight(line[from:min(to, len(line))], " ")
		if strings.HasPrefix(cell, "  ") && len(tags) > 0 {
			tags[len(tags)-1] += cell[2:]
			continue
		}
		tags = append(tags, cell)
	}
	return tags
}

// TestDeletionTagsAreWhole: the deletions table of the compact text
// report shows every tag of a deletion in full, however many and however
// long (the references of a Docker Engine's images), one a line, and
// still fits the width.
func TestDeletionTagsAreWhole(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	tags := []string{
		"registry.example.com/platform/payments/settlement-service:main-0123456789abcdef",
		"registry.example.com/platform/payments/settlement-service:pr-4711",
		"acme/api:v1",
		"ghcr.io/acme/app:" + strings.Repeat("x", 110),
	}
	for _, mode := range []retention.Mode{modePlan, modeApply} {
		p := &retention.Plan{SchemaVersion: retention.SchemaVersion, Mode: mode, GeneratedAt: now, Local: []retention.CachePlan{{
			Cache: "docker unix:///var/run/docker.sock", Kind: "docker",
			Repositories: []retention.RepoPlan{{
				Repository: "acme/api", Policies: []string{"local"},
				Deletions: []retention.Deletion{
					{Digest: dg("a"), Tags: tags, Kind: retention.KindImage, Reason: "every tag on it is deleted", Status: retention.StatusDeleted},
					{Digest: dg("b"), Tags: tags[2:3], Kind: retention.KindImage, Reason: "every tag on it is deleted", Status: retention.StatusDeleted},
				},
			}},
		}}}
		if mode == modePlan {
			for i := range p.Local[0].Repositories[0].Deletions {
				p.Local[0].Repositories[0].Deletions[i].Status = ""
			}
		}
		p.Summarize()
		for _, width := range []int{100, DefaultWidth} {
			var b bytes.Buffer
			if err := Write(&b, p, Text, WithView(ViewDeletions), WithWidth(width)); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			if diff := cmp.Diff(append(slices.Clone(tags), tags[2]), tagsColumn(out)); diff != "" {
				t.Errorf("%s width %d: the TAGS column (-want +got):\n%s\n%s", mode, width, diff, out)
			}
			for i, line := range strings.Split(out, "\n") {
				if n := utf8.RuneCountInString(line); n > width {
					t.Errorf("%s width %d: line %d is %d columns:\n%s", mode, width, i+1, n, line)
				}
			}
		}
	}
}

// TestMarkdownCap: a registry of 20,000 tags makes a summary far over the
// 1 MiB GitHub keeps; with the cap the summary stays under it, kept tags
// are counted rather than listed, and the last line says how many rows
// are left out and where the full report is.
func TestMarkdownCap(t *testing.T) {
	t.Parallel()
	p := widePlan(modeApply, 20000)
	for i := range p.Repositories[0].Tags {
		if i%2 == 0 {
			p.Repositories[0].Tags[i].Action = retention.Keep
		}
	}
	p.Summarize()
	var whole bytes.Buffer
	if err := Write(&whole, p, Markdown, WithView(ViewFull)); err != nil {
		t.Fatal(err)
	}
	if whole.Len() <= 1<<20 {
		t.Fatalf("the uncapped summary is %d bytes: the fixture does not test the cap", whole.Len())
	}
	const capBytes = 1 << 20
	var b bytes.Buffer
	if err := Write(&b, p, Markdown, WithView(ViewFull), WithMaxBytes(capBytes, "report.json")); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if b.Len() > capBytes {
		t.Errorf("capped summary is %d bytes, over the cap of %d", b.Len(), capBytes)
	}
	if !strings.Contains(out, "10000 tags kept") {
		t.Errorf("kept tags are not counted")
	}
	if strings.Contains(out, "| keep |") {
		t.Errorf("kept tags are listed without --verbose")
	}
	if !strings.Contains(out, "rows, beyond this report's cap of 1MiB") || !strings.Contains(out, "The full report: report.json.") {
		t.Errorf("no line says what was left out and where the full report is:\n%s", out[len(out)-600:])
	}
	if !strings.HasSuffix(strings.TrimSpace(out[:strings.LastIndex(out, "> **Not shown:**")]), "</details>") {
		t.Errorf("the last section is not closed before the trailer")
	}
}

// TestAgeUsesThePolicyClock: under clock: pushed a tag's age is its push
// time's, in every format and view, whether or not its creation time is
// known; elsewhere it is the creation time's.
func TestAgeUsesThePolicyClock(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	ago := func(days int) *time.Time { t := now.AddDate(0, 0, -days); return &t }
	p := &retention.Plan{SchemaVersion: retention.SchemaVersion, Mode: modePlan, GeneratedAt: now, Repositories: []retention.RepoPlan{{
		Repository: "ghcr.io/acme/app", Policies: []string{"ghcr"},
		Tags: []retention.TagDecision{
			{Tag: "main-1", Digest: dg("1"), Pushed: ago(3), Clock: retention.ClockPushed, Action: retention.Delete, Reasons: []string{"deleted"}},
			{Tag: "main-2", Digest: dg("2"), Created: ago(400), Pushed: ago(5), Clock: retention.ClockPushed, Action: retention.Delete, Reasons: []string{"deleted"}},
			{Tag: "v1", Digest: dg("3"), Created: ago(40), Pushed: ago(6), Action: retention.Delete, Reasons: []string{"deleted"}},
		},
	}}}
	p.Summarize()
	for _, tc := range []struct {
		f       Format
		verbose bool
		want    []string
	}{
		{Text, false, []string{"3d (pushed)", "5d (pushed)", "40d"}},
		{Markdown, false, []string{"3d (pushed)", "5d (pushed)", "40d"}},
		{Text, true, []string{"2026-11-28 00:00:00 UTC (pushed)", "2026-11-26 00:00:00 UTC (pushed)", "2026-10-22 00:00:00 UTC"}},
	} {
		var b bytes.Buffer
		if err := Write(&b, p, tc.f, WithView(ViewFull), WithVerbose(tc.verbose)); err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s (verbose %v) does not show %q:\n%s", tc.f, tc.verbose, w, b.String())
			}
		}
		if strings.Contains(b.String(), "unknown") || strings.Contains(b.String(), "400d") {
			t.Errorf("%s (verbose %v) shows a creation time under clock: pushed:\n%s", tc.f, tc.verbose, b.String())
		}
	}
}
