package lint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// fakeGH answers the two gh api calls of the "previous run's state"
// step: the workflow's runs (FAKE_RUNS, already as --jq prints them) and
// a run's unexpired artifacts (FAKE_ART_<id>, a count); FAKE_GH=fail
// answers every call as a token without actions: read does.
const fakeGH = `#!/bin/bash
if [ "$FAKE_GH" = fail ]; then echo "gh: Resource not accessible by integration (HTTP 403)" >&2; exit 1; fi
for a in "$@"; do
  case "$a" in
    */workflows/*/runs*) printf '%s\n' "$FAKE_RUNS"; exit 0 ;;
    */runs/*/artifacts*) id=${a#*/runs/}; id=${id%%/*}; v=FAKE_ART_$id; echo "${!v:-0}"; exit 0 ;;
  esac
done
echo "fake gh: unexpected call $*" >&2; exit 3
`

// TestPreviousStateStep runs each example workflow's "Find the previous
// run's state" step as GitHub runs it (bash -eo pipefail) against a fake
// gh: it names the newest run that has the artifact, names none when
// there is none, and, when the lookup itself fails (a token without
// actions: read), warns and lets the cleanup go on without state: the
// state directory is an aid, never a condition.
func TestPreviousStateStep(t *testing.T) {
	root := repoRoot(t)
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "gh"), []byte(fakeGH), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range globs(t, root, "examples/github-actions/*.yml") {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var w struct {
			Jobs map[string]struct {
				Steps []struct {
					ID  string `yaml:"id"`
					Run string `yaml:"run"`
				} `yaml:"steps"`
			} `yaml:"jobs"`
		}
		if err := yaml.Unmarshal(src, &w); err != nil {
			t.Fatal(err)
		}
		var script string
		for _, j := range w.Jobs {
			for _, s := range j.Steps {
				if s.ID == "previous" {
					script = s.Run
				}
			}
		}
		name := filepath.Base(f)
		if script == "" {
			t.Errorf("%s: no step with id previous", name)
			continue
		}
		for _, tc := range []struct {
			name    string
			env     []string
			runID   string
			warning bool
		}{
			{"the newest run with the artifact", []string{"FAKE_RUNS=12\n11\n10", "FAKE_ART_12=0", "FAKE_ART_11=1", "FAKE_ART_10=1"}, "11", false},
			{"no earlier run", []string{"FAKE_RUNS="}, "", false},
			{"the lookup is refused", []string{"FAKE_GH=fail"}, "", true},
		} {
			env := append([]string{"PATH=" + bin + ":" + os.Getenv("PATH"), "GITHUB_REPOSITORY=acme/app",
				"GITHUB_WORKFLOW_REF=acme/app/.github/workflows/" + name + "@refs/heads/main", "BRANCH=main", "GH_TOKEN=t"}, tc.env...)
			r := runStep(t, "", script, env)
			if r.code != 0 || r.outputs["run-id"] != tc.runID || strings.Contains(r.stdout, "::warning") != tc.warning {
				t.Errorf("%s, %s: exit %d, run-id %q, stdout %q, stderr %q; want exit 0, run-id %q, a warning %v",
					name, tc.name, r.code, r.outputs["run-id"], r.stdout, r.stderr, tc.runID, tc.warning)
			}
		}
	}
}
