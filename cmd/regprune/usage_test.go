package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/crane"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/retention"
)

// TestUsageExitCodes: every way of calling plan or apply wrongly exits 2
// with one message naming what is wrong, before any registry is
// contacted (the configuration names an unreachable one), and writes no
// report to stdout.
func TestUsageExitCodes(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, "policies:\n  - name: p\n    repositories: [127.0.0.1:1/acme/app]\n    keep: [{newest: 1}]\n")
	dir := t.TempDir()
	planFile := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr string
	}{
		{"unknown flag", nil, []string{"plan", "-c", cfg, "--bogus"}, "unknown flag"},
		{"bad --scope", nil, []string{"plan", "-c", cfg, "--scope", "everywhere"}, "--scope"},
		{"bad --shard", nil, []string{"plan", "-c", cfg, "--shard", "4/4"}, "--shard"},
		{"malformed --shard", nil, []string{"apply", "-c", cfg, "--shard", "half"}, "--shard"},
		{"--shard and --shards together", nil, []string{"plan", "-c", cfg, "--shard", "0/2", "--shards", "3"}, "--shard"},
		{"negative --shards", map[string]string{"JOB_COMPLETION_INDEX": "0"}, []string{"plan", "-c", cfg, "--shards", "-2"}, "--shards"},
		{"--shards without JOB_COMPLETION_INDEX", nil, []string{"plan", "-c", cfg, "--shards", "4"}, "JOB_COMPLETION_INDEX"},
		{"REGPRUNE_SHARDS without JOB_COMPLETION_INDEX", map[string]string{"REGPRUNE_SHARDS": "4"}, []string{"apply", "-c", cfg}, "JOB_COMPLETION_INDEX"},
		{"REGPRUNE_SHARDS not a number", map[string]string{"REGPRUNE_SHARDS": "four"}, []string{"plan", "-c", cfg}, "REGPRUNE_SHARDS"},
		{"JOB_COMPLETION_INDEX out of range", map[string]string{"REGPRUNE_SHARDS": "4", "JOB_COMPLETION_INDEX": "4"}, []string{"plan", "-c", cfg}, "4"},
		{"--summary and --deletions", nil, []string{"plan", "-c", cfg, "--summary", "--deletions"}, "--summary and --deletions"},
		{"bad --log-format", nil, []string{"plan", "-c", cfg, "--log-format", "xml"}, "--log-format"},
		{"missing --plan file", nil, []string{"apply", "-c", cfg, "--plan", filepath.Join(dir, "missing.json")}, "missing.json"},
		{"--plan is a directory", nil, []string{"apply", "-c", cfg, "--plan", dir}, dir},
		{"--plan not JSON", nil, []string{"apply", "-c", cfg, "--plan", planFile("garbage.json", "plan: yes\n")}, "garbage.json"},
		{"--plan of an unknown schemaVersion", nil, []string{"apply", "-c", cfg, "--plan", planFile("v2.json", `{"schemaVersion": 2, "mode": "plan", "repositories": []}`)}, "schema version 2"},
		{"--plan of an apply report", nil, []string{"apply", "-c", cfg, "--plan", planFile("report.json", `{"schemaVersion": 1, "mode": "apply", "repositories": []}`)}, `"apply"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, tc.env, tc.args...)
			if r.code != 2 {
				t.Fatalf("exit %d, want 2\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.wantErr) {
				t.Errorf("stderr does not name %q:\n%s", tc.wantErr, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("a usage error wrote to stdout:\n%s", r.stdout)
			}
		})
	}
}

// TestSavedPlanAndBrake: a plan saved with `plan -o json` is executed
// by `apply --plan`; the same plan over maxDeletions exits 3 and deletes
// nothing, with the abort in the one JSON report.
func TestSavedPlanAndBrake(t *testing.T) {
	t.Parallel()
	reg := registrytest.StartDistribution(t)
	seedReleases(t, reg, 4)
	braked := releasesConfig(t, "maxDeletions: 2", reg.Host, reg.Repo("acme/app"))
	open := releasesConfig(t, "maxDeletions: 0", reg.Host, reg.Repo("acme/app"))

	saved := filepath.Join(t.TempDir(), "plan.json")
	r := runCLI(t, nil, "plan", "-c", open, "-o", "json", "--output-file", saved)
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("plan --output-file: exit %d, stdout %q\n%s", r.code, r.stdout, r.stderr)
	}

	r = runCLI(t, nil, "apply", "-c", braked, "--plan", saved, "-o", "json")
	if r.code != 3 {
		t.Fatalf("apply over maxDeletions: exit %d, want 3\n%s", r.code, r.stderr)
	}
	p := oneJSON(t, r.stdout)
	if p.Aborted == "" || p.Summary.Deleted != 0 {
		t.Errorf("want an aborted report with nothing deleted, got aborted %q, summary %+v", p.Aborted, p.Summary)
	}
	tags, err := crane.ListTags(reg.Repo("acme/app"), crane.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if len(tags) != 4 {
		t.Errorf("the safety abort deleted something: tags left %v", tags)
	}

	// --scope local, with no local section, has nothing to do: exit 2,
	// the saved plan's registry part untouched.
	r = runCLI(t, nil, "apply", "-c", open, "--plan", saved, "--scope", "local", "-o", "json")
	if r.code != 2 || !strings.Contains(r.stderr, "nothing to do: --scope local") {
		t.Errorf("apply --plan --scope local: exit %d, stderr %q; want 2, nothing to do", r.code, r.stderr)
	}
	if tags, err := crane.ListTags(reg.Repo("acme/app"), crane.Insecure); err != nil || len(tags) != 4 {
		t.Errorf("--scope local deleted something: tags left %v (%v)", tags, err)
	}

	r = runCLI(t, nil, "apply", "-c", open, "--plan", saved, "-o", "json")
	if r.code != 0 {
		t.Fatalf("apply --plan: exit %d\n%s", r.code, r.stderr)
	}
	if p := oneJSON(t, r.stdout); p.Mode != "apply" || p.Summary.Deleted != 3 {
		t.Errorf("apply --plan: mode %q, summary %+v; want 3 deleted", p.Mode, p.Summary)
	}
}

// oneJSON decodes stdout, which must hold exactly one JSON report.
func oneJSON(t *testing.T, stdout string) retention.Plan {
	t.Helper()
	var p retention.Plan
	dec := json.NewDecoder(strings.NewReader(stdout))
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("stdout is not a JSON report: %v\n%s", err, stdout)
	}
	if dec.More() {
		t.Fatalf("stdout holds more than one JSON document:\n%s", stdout)
	}
	return p
}

// TestJSONOnExit2: with -o json, stdout holds one JSON document also when
// the run stops at exit code 2, before any report.
func TestJSONOnExit2(t *testing.T) {
	t.Parallel()
	bad := writeConfig(t, "policies:\n  - name: p\n    repositories: [localhost:5000/a]\n    kep: [{newest: 1}]\n")
	for _, args := range [][]string{
		{"plan", "-c", bad, "-o", "json"},
		{"apply", "-c", bad, "--output=json"},
		{"plan", "-ojson", "--no-such-flag"},
		{"plan", "-c", "/nonexistent.yaml", "-o", "json"},
		{"apply", "-c", bad, "-o", "json", "--verbose"},
		{"apply", "-c", bad, "-o", "jsonl"},
		{"apply", "-ojsonl", "--no-such-flag"},
	} {
		r := runCLI(t, nil, args...)
		var doc struct {
			SchemaVersion int    `json:"schemaVersion"`
			Error         string `json:"error"`
			ExitCode      int    `json:"exitCode"`
		}
		if r.code != 2 {
			t.Errorf("%q: exit %d, want 2", args, r.code)
			continue
		}
		if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || doc.Error == "" || doc.ExitCode != 2 || doc.SchemaVersion != 1 {
			t.Errorf("%q: stdout %q (%v), want one JSON error document", args, r.stdout, err)
		}
		if lines := strings.Count(r.stdout, "\n"); slices.Contains(args, "jsonl") || slices.Contains(args, "-ojsonl") {
			if lines != 1 {
				t.Errorf("%q: the error document spans %d lines, want one", args, lines)
			}
		}
	}
	if r := runCLI(t, nil, "apply", "-c", bad, "-o", "json", "--verbose"); !strings.Contains(r.stdout, "-o json and jsonl are always the whole plan") {
		t.Errorf("--verbose with -o json: stdout %q, want the error naming both", r.stdout)
	}
	// Text output and --output-file keep stdout empty.
	for _, args := range [][]string{{"plan", "-c", bad}, {"plan", "-c", bad, "-o", "json", "--output-file", filepath.Join(t.TempDir(), "r.json")}} {
		if r := runCLI(t, nil, args...); r.code != 2 || r.stdout != "" {
			t.Errorf("%q: exit %d, stdout %q; want 2 and nothing", args, r.code, r.stdout)
		}
	}
}

// TestNothingToDo: a configuration with no policies and no local section,
// or a scope that covers nothing it configures, is a usage error (exit 2)
// in plan, apply and validate: a nightly job that silently does nothing
// would stay green for ever.
func TestNothingToDo(t *testing.T) {
	t.Parallel()
	empty := writeConfig(t, "maxDeletions: 5\n")
	remoteOnly := writeConfig(t, "policies:\n  - name: p\n    repositories: [localhost:5000/a]\n    keep: [{newest: 1}]\n")
	for _, args := range [][]string{
		{"plan", "-c", empty},
		{"apply", "-c", empty},
		{"validate", "-c", empty},
		{"plan", "-c", remoteOnly, "--scope", "local"},
	} {
		r := runCLI(t, nil, args...)
		if r.code != 2 || !strings.Contains(r.stderr, "nothing to do") {
			t.Errorf("%q: exit %d, stderr %q; want 2 saying there is nothing to do", args, r.code, r.stderr)
		}
	}
}

// TestOutputPathsCheckedFirst: an output that could not be written after
// the deletions (a folder that does not exist, a directory given as the
// file) fails the run before any registry is contacted, with exit 2:
// the record of what was deleted is never lost after deleting.
func TestOutputPathsCheckedFirst(t *testing.T) {
	t.Parallel()
	reg := registrytest.InMemory(t, false)
	seedReleases(t, reg, 3)
	cfg := releasesConfig(t, "", reg.Host, reg.Repo("acme/app"))
	dir := t.TempDir()
	missing := filepath.Join(dir, "no", "such", "folder", "out.json")
	for _, tt := range []struct {
		env  map[string]string
		args []string
		what string
	}{
		{nil, []string{"--output-file", missing}, "--output-file"},
		{nil, []string{"--metrics-file", missing}, "--metrics-file"},
		{nil, []string{"--output-file", dir}, "--output-file"},
		{map[string]string{"GITHUB_STEP_SUMMARY": missing}, nil, "GITHUB_STEP_SUMMARY"},
	} {
		r := runCLI(t, tt.env, append([]string{"apply", "-c", cfg}, tt.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, tt.what) || !strings.Contains(r.stderr, "nothing was contacted") {
			t.Errorf("%v %v: exit %d, stderr %q; want 2 naming %s", tt.env, tt.args, r.code, r.stderr, tt.what)
		}
	}
	tags, err := crane.ListTags(reg.Repo("acme/app"), crane.Insecure)
	if err != nil || len(tags) != 3 {
		t.Errorf("tags left %v (%v); want all 3: nothing may be deleted", tags, err)
	}
}

// TestInitAndCompletion: init writes the commented example (mode 0600),
// which validates as written, and never overwrites; completion prints a
// shell script.
func TestInitAndCompletion(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "regprune.yaml")
	if r := runCLI(t, nil, "init", path); r.code != 0 {
		t.Fatalf("init: exit %d\n%s", r.code, r.stderr)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("init wrote %v (%v), want a 0600 file", fi, err)
	}
	if r := runCLI(t, nil, "validate", "-c", path); r.code != 0 {
		t.Errorf("the file init wrote does not validate: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if err := os.WriteFile(path, []byte("mine\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, nil, "init", path); r.code != 2 || !strings.Contains(r.stderr, "exists") {
		t.Errorf("init over an existing file: exit %d, stderr %q; want 2", r.code, r.stderr)
	}
	if b, _ := os.ReadFile(path); string(b) != "mine\n" {
		t.Errorf("init overwrote an existing file")
	}
	if r := runCLI(t, nil, "completion", "bash"); r.code != 0 || !strings.Contains(r.stdout, "bash completion") {
		t.Errorf("completion bash: exit %d, stdout starts %.80q", r.code, r.stdout)
	}
}
