package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regprune/regprune/internal/registrytest"
)

// TestReportViews: plan shows the tag table, --summary one row per
// repository, --deletions the deletions only; apply shows what it did
// without the tag table; the step summary counts kept tags.
func TestReportViews(t *testing.T) {
	t.Parallel()
	reg := registrytest.InMemory(t, false)
	seedReleases(t, reg, 4)
	cfg := releasesConfig(t, "", reg.Host, reg.Repo("acme/app"))
	summary := filepath.Join(t.TempDir(), "summary.md")
	tests := []struct {
		args      []string
		want, not []string
	}{
		{[]string{"plan"}, []string{"TAG ", "AGE", "ACTION", "3 deletions:"}, []string{"CREATED", "REPOSITORY"}},
		{[]string{"plan", "--verbose"}, []string{"CREATED", "REASONS"}, []string{"AGE"}},
		{[]string{"plan", "--summary"}, []string{"REPOSITORY", "DELETIONS"}, []string{"ACTION", "KIND"}},
		{[]string{"plan", "--deletions"}, []string{"KIND", "3 deletions:"}, []string{"ACTION"}},
		{[]string{"apply"}, []string{"STATUS", "deleted", "apply deletions: 3 deleted"}, []string{"ACTION"}},
	}
	for _, tc := range tests {
		r := runCLI(t, map[string]string{"GITHUB_STEP_SUMMARY": summary}, append(tc.args, "-c", cfg)...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d\n%s", tc.args, r.code, r.stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("%v: the report lacks %q:\n%s", tc.args, w, r.stdout)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(r.stdout, n) {
				t.Errorf("%v: the report has %q:\n%s", tc.args, n, r.stdout)
			}
		}
	}
	b, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "kept (listed with --verbose") {
		t.Errorf("the step summary does not count the kept tags:\n%s", b)
	}
}
