package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/regprune/regprune/retention"
)

// unescapedPipes counts the pipes of a Markdown table row that delimit
// cells.
func unescapedPipes(line string) int {
	n := 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case '|':
			n++
		}
	}
	return n
}

func TestMarkdownEscapes(t *testing.T) {
	t.Parallel()
	p := &retention.Plan{
		SchemaVersion: retention.SchemaVersion,
		Mode:          "plan",
		Repositories: []retention.RepoPlan{
			{
				Repository: "r.example/ok",
				Policies:   []string{"a|b"},
				Tags: []retention.TagDecision{
					{Tag: "x|y", Digest: dg("a"), Action: retention.Delete, Reasons: []string{"age > 30d | not <b>kept</b>", "two\nlines\r\nhere", "*bold* _em_ [link](http://x) `code`"}},
				},
				Deletions: []retention.Deletion{{Digest: dg("a"), Tags: []string{"x|y"}, Kind: retention.KindImage, Reason: "a|b"}},
			},
			{Repository: "r.example/<script>", Error: "DENIED | see\ndocs"},
		},
	}
	p.Summarize()
	var buf bytes.Buffer
	if err := Write(&buf, p, Markdown, WithVerbose(true)); err != nil {
		t.Fatal(err)
	}
	md := buf.String()

	var header int
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			header = 0
			continue
		}
		n := unescapedPipes(line)
		if header == 0 {
			header = n
		} else if n != header {
			t.Errorf("table row has %d cell delimiters, its header %d: %q", n, header, line)
		}
	}
	for _, want := range []string{
		`x\|y`, `age &gt; 30d \| not &lt;b&gt;kept&lt;/b&gt;`, `two<br>lines<br>here`,
		`\*bold\* \_em\_ \[link\](http://x) \` + "`code\\`",
		`<code>r.example/&lt;script&gt;</code>`, `DENIED \| see<br>docs`,
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %s:\n%s", want, md)
		}
	}
	if strings.Contains(md, "<script>") || strings.Contains(md, "<b>") {
		t.Errorf("Markdown passes raw HTML through:\n%s", md)
	}
	// The failed repository comes first although the plan lists it last.
	if strings.Index(md, "&lt;script&gt;") > strings.Index(md, "r.example/ok") {
		t.Errorf("failed repository is not listed first:\n%s", md)
	}
}

func TestTextOneLinePerRow(t *testing.T) {
	t.Parallel()
	p := &retention.Plan{
		SchemaVersion: retention.SchemaVersion,
		Mode:          "plan",
		Repositories: []retention.RepoPlan{{
			Repository: "r.example/a",
			Error:      "line one\nline two\x1b[31m red",
			Tags:       []retention.TagDecision{{Tag: "t", Digest: dg("a"), Action: retention.Keep, Reasons: []string{"a\tb", "c\nd"}}},
		}},
	}
	p.Summarize()
	var buf bytes.Buffer
	if err := Write(&buf, p, Text, WithVerbose(true)); err != nil {
		t.Fatal(err)
	}
	want := "r.example/a (policies: none): ERROR: line one line two\uFFFD[31m red\n" +
		"  TAG  DIGEST        CREATED  ACTION  REASONS\n" +
		"  t    aaaaaaaaaaaa  unknown  keep    a b; c d\n" +
		"\n" +
		"plan: 1 repository (1 failed), 1 tag: 1 keep, 0 delete; 0 manifests, 0 tag-only, 0 children, 0 referrers\n"
	if got := buf.String(); got != want {
		t.Errorf("Write(Text) =\n%s\nwant\n%s", got, want)
	}
}
