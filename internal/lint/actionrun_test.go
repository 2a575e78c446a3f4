package lint

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeRegprune stands in for the binary in the action's run step: it
// writes a JSON report to --output-file and markdown to the step
// summary (FAKE_JSON, when set, is the JSON report), or fails as bad
// configuration does, with FAKE_CODE.
const fakeRegprune = `#!/usr/bin/env bash
out=""
printf '%s\n' "$@" > "$FAKE_ARGS"
while [ $# -gt 0 ]; do case "$1" in --output-file) out="$2"; shift ;; esac; shift; done
if [ "$FAKE_CODE" = 2 ]; then echo "regprune: regprune.yaml: policies[0].keep: unknown key" >&2; exit 2; fi
if [ -n "${FAKE_JSON:-}" ]; then printf '%s\n' "$FAKE_JSON" > "$out"
else echo '{"schemaVersion":1,"mode":"apply","repositories":[],"summary":{"deleted":4}}' > "$out"; fi
echo "## regprune apply" >> "$GITHUB_STEP_SUMMARY"
exit "$FAKE_CODE"
`

// TestActionRunStep runs the action's "run" step with a fake regprune
// exactly as GitHub runs a `shell: bash` step: the script in a file, run by
// `bash --noprofile --norc -eo pipefail {0}`. Under -e a non-zero regprune
// must not end the step before its outputs and annotations are written.
func TestActionRunStep(t *testing.T) {
	if _, err := exec.LookPath("jq"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("jq is not installed; CI must have it (GitHub's runners do)")
		}
		t.Skip("jq is not installed (GitHub's runners have it)")
	}
	_, md := readAction(t, repoRoot(t))
	var script string
	for _, s := range md.Runs.Steps {
		if s.ID == "run" {
			script = s.Run
		}
	}
	if script == "" {
		t.Fatal("action.yml has no step with id run")
	}
	tests := []struct {
		name        string
		code        string
		wantOutputs []string
		wantStdout  string
		wantReport  string // "" for no report output
		args        string // the action's args input
		wantArgs    []string
		json        string // the JSON report the fake writes, when not the default
	}{
		{name: "success", code: "0", wantOutputs: []string{"deleted=4", "exit-code=0"}, wantReport: "## regprune apply"},
		{name: "bad configuration", code: "2", wantOutputs: []string{"deleted=", "report=", "json-report=", "exit-code=2"}, wantStdout: "::error title=regprune exited 2 (bad usage or configuration)::regprune.yaml: policies[0].keep: unknown key"},
		{name: "failures", code: "1", wantOutputs: []string{"deleted=4", "exit-code=1"}, wantStdout: "::error title=regprune exited 1::", wantReport: "## regprune apply"},
		{name: "safety abort", code: "3", wantOutputs: []string{"deleted=4", "exit-code=3"}, wantStdout: "::error title=regprune safety abort (exit 3)::", wantReport: "## regprune apply"},
		{
			name: "unmatched warnings", code: "0", wantOutputs: []string{"deleted=0", "exit-code=0"}, wantReport: "## regprune apply",
			json:       `{"schemaVersion":1,"mode":"apply","repositories":[],"summary":{"deleted":0},"warnings":[{"kind":"unmatched","policy":"typo","key":"policies[0].repositories","message":"policy typo: policies[0].repositories (ghcr.io/newusr/*) match no repository, 100%\nsure"}]}`,
			wantStdout: "::warning title=regprune unmatched::policy typo: policies[0].repositories (ghcr.io/newusr/*) match no repository, 100%25%0Asure\n",
		},
		{
			name: "multi-line args", code: "0", wantOutputs: []string{"exit-code=0"}, wantReport: "## regprune apply",
			args: "--concurrency 4\n  --dry-run\n\n--log-level debug\n", wantArgs: []string{"--concurrency", "4", "--dry-run", "--log-level", "debug"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, bindir := t.TempDir(), t.TempDir()
			bin := filepath.Join(bindir, "regprune")
			if err := os.WriteFile(bin, []byte(fakeRegprune), 0o755); err != nil {
				t.Fatal(err)
			}
			outputs := filepath.Join(dir, "outputs")
			// GitHub creates the step summary file before the step runs.
			if err := os.WriteFile(filepath.Join(dir, "summary.md"), []byte("an earlier step's summary\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, "step.sh")
			if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
				t.Fatal(err)
			}
			argsFile := filepath.Join(dir, "args")
			cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", file)
			cmd.Env = []string{
				"PATH=" + os.Getenv("PATH"), "RUNNER_TEMP=" + dir, "GITHUB_OUTPUT=" + outputs,
				"GITHUB_STEP_SUMMARY=" + filepath.Join(dir, "summary.md"), "REGPRUNE_BIN=" + bin,
				"INPUT_CONFIG=regprune.yaml", "INPUT_COMMAND=apply", "INPUT_FORMAT=markdown", "INPUT_ARGS=" + tc.args,
				"FAKE_CODE=" + tc.code, "FAKE_ARGS=" + argsFile,
			}
			if tc.json != "" {
				cmd.Env = append(cmd.Env, "FAKE_JSON="+tc.json)
			}
			stdout, _ := cmd.Output()
			if got := cmd.ProcessState.ExitCode(); got != int(tc.code[0]-'0') {
				t.Errorf("the step exited %d, want regprune's %s", got, tc.code)
			}
			b, err := os.ReadFile(outputs)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			for _, want := range tc.wantOutputs {
				found := false
				for _, l := range lines {
					found = found || l == want
				}
				if !found {
					t.Errorf("outputs lack %q:\n%s", want, b)
				}
			}
			if !strings.Contains(string(stdout), tc.wantStdout) {
				t.Errorf("stdout lacks %q:\n%s", tc.wantStdout, stdout)
			}
			if tc.wantArgs != nil {
				a, err := os.ReadFile(argsFile)
				if err != nil {
					t.Fatal(err)
				}
				got := strings.Split(strings.TrimSpace(string(a)), "\n")
				if tail := got[len(got)-len(tc.wantArgs):]; strings.Join(tail, " ") != strings.Join(tc.wantArgs, " ") {
					t.Errorf("regprune got arguments %q, want them to end with %q", got, tc.wantArgs)
				}
			}
			var report string
			for _, l := range lines {
				if v, ok := strings.CutPrefix(l, "report="); ok {
					report = v
				}
			}
			switch {
			case tc.wantReport == "" && report != "":
				t.Errorf("report output %q, want none: regprune wrote no report", report)
			case tc.wantReport != "":
				r, err := os.ReadFile(report)
				if err != nil || !strings.Contains(string(r), tc.wantReport) {
					t.Errorf("report %q: %v, want it to hold %q:\n%s", report, err, tc.wantReport, r)
				}
			}
		})
	}
}
