package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/manifest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// dg returns a valid digest made of one repeated hex character.
func dg(c string) string { return "sha256:" + strings.Repeat(c, 64) }

func at(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

// planFixture is a plan that covers every kind of decision and deletion:
// keep and delete, unknown creation time, a failed repository, a tag-only
// deletion, an image deletion of three tags (one wider than the deletions
// table's TAGS column), an index with children and a referrer, and a
// repository whose lists are nil.
func planFixture() *retention.Plan {
	p := &retention.Plan{
		SchemaVersion: retention.SchemaVersion,
		Mode:          "plan",
		GeneratedAt:   time.Date(2025, 3, 1, 12, 30, 0, 0, time.UTC),
		Repositories: []retention.RepoPlan{
			{
				Repository: "registry.example.com/team/app",
				Policies:   []string{"default", "releases"},
				Tags: []retention.TagDecision{
					{Tag: "v1.2.0", Digest: dg("1"), MediaType: manifest.MediaTypeOCIManifest, Created: at("2025-02-20T08:00:00Z"), Action: retention.Keep, Reasons: []string{"keep[0] semver highest 3 by minor"}},
					{Tag: "stable", Digest: dg("2"), Created: at("2025-01-10T09:15:30+02:00"), Action: retention.Keep, Reasons: []string{"protected: stable"}},
					{Tag: "old", Digest: dg("2"), Created: at("2025-01-10T09:15:30+02:00"), Action: retention.Delete, Reasons: []string{"not kept by any rule", "digest kept by tag stable"}},
					{Tag: "v1.0.0", Digest: dg("3"), Created: at("2024-06-01T00:00:00Z"), Action: retention.Delete, Reasons: []string{"older than 90d", "not among highest 3 | by minor"}},
					{Tag: "v1.0", Digest: dg("3"), Created: at("2024-06-01T00:00:00Z"), Action: retention.Delete, Reasons: []string{"older than 90d"}},
					{Tag: "v1.0.0-linux-amd64-build.20240601.0123456789abcdef", Digest: dg("3"), Created: at("2024-06-01T00:00:00Z"), Action: retention.Delete, Reasons: []string{"older than 90d"}},
					{Tag: "latest", Digest: dg("1"), Action: retention.Keep, Reasons: []string{"protected: latest", "created unknown"}},
					{Tag: "nightly-20240101", Digest: dg("4"), MediaType: manifest.MediaTypeOCIIndex, Created: at("2024-01-01T03:00:00Z"), Action: retention.Delete, Reasons: []string{"keep[1] newest 5: rank 9"}},
				},
				Deletions: []retention.Deletion{
					{Digest: dg("2"), Tags: []string{"old"}, Kind: retention.KindTag, Reason: "tag old only: stable keeps the manifest"},
					{Digest: dg("3"), Tags: []string{"v1.0.0", "v1.0", "v1.0.0-linux-amd64-build.20240601.0123456789abcdef"}, Kind: retention.KindImage, Reason: "no kept tag remains"},
					{Digest: dg("5"), Tags: []string{}, Kind: retention.KindReferrer, Parent: dg("4"), Reason: "subject is deleted"},
					{Digest: dg("4"), Tags: []string{"nightly-20240101"}, Kind: retention.KindIndex, Reason: "no kept tag remains"},
					{Digest: dg("6"), Tags: []string{}, Kind: retention.KindChild, Parent: dg("4"), Reason: "child of a deleted index"},
					{Digest: dg("7"), Tags: []string{}, Kind: retention.KindChild, Parent: dg("4"), Reason: "child of a deleted index"},
				},
			},
			{
				Repository: "registry.example.com/team/broken",
				Error:      "listing tags: DENIED: requires auth\nsee | docs",
				Policies:   []string{"default"},
				Tags:       []retention.TagDecision{},
				Deletions:  []retention.Deletion{},
			},
			{
				Repository: "registry.example.com/team/empty",
			},
		},
		Warnings: []retention.Warning{{
			Kind: retention.WarnUnmatched, Policy: "typo", Key: "policies[2].repositories",
			Message: "policy typo: policies[2].repositories (registry.example.com/newusr/*) match no repository, so the policy does nothing",
		}},
	}
	p.Summarize()
	return p
}

// applyFixture is planFixture as an apply report with every status.
func applyFixture() *retention.Plan {
	p := planFixture()
	p.Mode = "apply"
	dels := p.Repositories[0].Deletions
	dels[0].Status = retention.StatusDeleted
	dels[1].Status = retention.StatusFailed
	dels[1].Error = "DELETE: UNSUPPORTED: The operation is unsupported."
	dels[2].Status = retention.StatusDeleted
	dels[3].Status = retention.StatusSkipped
	dels[3].Reason = "tag nightly-20240101 moved to " + dg("8") + " since planning"
	dels[4].Status = retention.StatusSkipped
	dels[5].Status = retention.StatusSkipped
	p.Summarize()
	return p
}

// abortedFixture is a dry-run apply that the safety limit stopped.
func abortedFixture() *retention.Plan {
	p := planFixture()
	p.Mode = "apply"
	p.DryRun = true
	p.Aborted = "3 manifests to delete exceeds maxDeletions 2; nothing was deleted"
	for i := range p.Repositories[0].Deletions {
		p.Repositories[0].Deletions[i].Status = retention.StatusSkipped
	}
	p.Summarize()
	return p
}

var fixtures = []struct {
	name string
	plan func() *retention.Plan
}{
	{"plan", planFixture},
	{"apply", applyFixture},
	{"aborted", abortedFixture},
}

var extensions = map[Format]string{Text: "txt", JSON: "json", Markdown: "md"}

// variants are the views and the verbose form each fixture is rendered
// in, with the golden file's suffix.
var variants = []struct {
	suffix string
	opts   []Option
}{
	{"", nil},
	{".verbose", []Option{WithVerbose(true)}},
	{".summary", []Option{WithView(ViewSummary)}},
	{".deletions", []Option{WithView(ViewDeletions)}},
	{".full", []Option{WithView(ViewFull)}},
}

func TestWriteGolden(t *testing.T) {
	t.Parallel()
	for _, fx := range fixtures {
		for _, f := range []Format{Text, JSON, Markdown} {
			for _, v := range variants {
				if f == JSON && v.suffix != "" {
					continue
				}
				name := fx.name + v.suffix + "." + extensions[f]
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					var buf bytes.Buffer
					if err := Write(&buf, fx.plan(), f, v.opts...); err != nil {
						t.Fatalf("Write: %v", err)
					}
					golden := filepath.Join("testdata", name)
					if *update {
						if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
							t.Fatal(err)
						}
					}
					want, err := os.ReadFile(golden)
					if err != nil {
						t.Fatalf("reading golden file (run with -update to create it): %v", err)
					}
					if diff := cmp.Diff(string(want), buf.String()); diff != "" {
						t.Errorf("Write(%s) mismatch with %s (-want +got):\n%s", f, golden, diff)
					}
				})
			}
		}
	}
}

// TestWriteJSONLine: jsonl is the json report on one line, byte for byte
// the same document, and a saved plan reads it back.
func TestWriteJSONLine(t *testing.T) {
	t.Parallel()
	for _, fx := range fixtures {
		var indented, line bytes.Buffer
		if err := Write(&indented, fx.plan(), JSON); err != nil {
			t.Fatal(err)
		}
		if err := Write(&line, fx.plan(), JSONLine); err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(line.String(), "\n"); n != 1 || !strings.HasSuffix(line.String(), "\n") {
			t.Errorf("%s: jsonl has %d newlines, want one, at the end:\n%s", fx.name, n, line.String())
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, indented.Bytes()); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(compact.String()+"\n", line.String()); diff != "" {
			t.Errorf("%s: jsonl is not the json report compacted (-want +got):\n%s", fx.name, diff)
		}
	}
	if _, err := ReadPlan(bytes.NewReader(mustWrite(t, planFixture(), JSONLine))); err != nil {
		t.Errorf("ReadPlan of a jsonl plan: %v", err)
	}
}

func mustWrite(t *testing.T, p *retention.Plan, f Format) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, p, f); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestWriteDeterministic(t *testing.T) {
	t.Parallel()
	for _, f := range []Format{Text, JSON, Markdown} {
		var first bytes.Buffer
		if err := Write(&first, applyFixture(), f); err != nil {
			t.Fatal(err)
		}
		for range 20 {
			var again bytes.Buffer
			if err := Write(&again, applyFixture(), f); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(first.Bytes(), again.Bytes()) {
				t.Fatalf("Write(%s) differs between runs", f)
			}
		}
	}
}

func TestWriteLeavesPlanAlone(t *testing.T) {
	t.Parallel()
	p := planFixture()
	want := planFixture()
	for _, f := range []Format{Text, JSON, Markdown} {
		if err := Write(&bytes.Buffer{}, p, f); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("Write modified the plan (-want +got):\n%s", diff)
	}
}

type failingWriter struct{}

var errDiskFull = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestWriteErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		plan    *retention.Plan
		format  Format
		wantErr error
	}{
		{name: "unknown format", plan: planFixture(), format: "yaml", wantErr: ErrUnknownFormat},
		{name: "empty format", plan: planFixture(), format: "", wantErr: ErrUnknownFormat},
		{name: "nil plan", plan: nil, format: Text},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			err := Write(&buf, tt.plan, tt.format)
			if err == nil {
				t.Fatal("Write succeeded, want an error")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Write error = %v, want %v", err, tt.wantErr)
			}
			if buf.Len() != 0 {
				t.Errorf("Write wrote %q before failing", buf.String())
			}
		})
	}
	t.Run("writer fails", func(t *testing.T) {
		t.Parallel()
		err := Write(failingWriter{}, planFixture(), Markdown)
		if !errors.Is(err, errDiskFull) {
			t.Errorf("Write error = %v, want it to wrap %v", err, errDiskFull)
		}
	})
}

func TestParseFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Format
		wantErr bool
	}{
		{in: "text", want: Text},
		{in: "json", want: JSON},
		{in: "markdown", want: Markdown},
		{in: "md", want: Markdown},
		{in: " JSON ", want: JSON},
		{in: "jsonl", want: JSONLine},
		{in: "", wantErr: true},
		{in: "yaml", wantErr: true},
		{in: "txt", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseFormat(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrUnknownFormat) {
					t.Fatalf("ParseFormat(%q) error = %v, want %v", tt.in, err, ErrUnknownFormat)
				}
				for _, name := range []string{"text", "json", "markdown", "md"} {
					if !strings.Contains(err.Error(), name) {
						t.Errorf("error %q does not list %q", err, name)
					}
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseFormat(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}
