package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
)

// TestUnmatchedInEveryOutput: a glob with a typo and a keep rule whose
// tags match no tag are warnings in the log, the JSON report's warnings,
// the text and markdown reports and the step summary, under plan and
// apply; failOn: [unmatched] or --fail-on unmatched makes them exit 1,
// and under --shard the tags are judged on the shard's repositories and
// the warning says so.
func TestUnmatchedInEveryOutput(t *testing.T) {
	t.Parallel()
	reg := registrytest.InMemory(t, false)
	now := time.Now()
	if _, err := seed.History(context.Background(), reg.Repo("acme/app"), []seed.Entry{
		{Tag: "v1.0.0", Created: now.Add(-72 * time.Hour)},
		{Tag: "v1.1.0", Created: now.Add(-48 * time.Hour)},
		{Tag: "stable", Created: now.Add(-96 * time.Hour)},
	}); err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf(`registries: [{host: %q, insecure: true}]
policies:
  - name: typo
    repositories: [%q]
    keep: [{newest: 1}]
  - name: app
    repositories: [%q]
    keep: [{semver: {highest: 1}}, {tags: [stabel]}]
`, reg.Host, reg.Repo("newusr/*"), reg.Repo("acme/*"))
	cfg := writeConfig(t, body)
	typo := "policy typo: policies[0].repositories (" + reg.Repo("newusr/*") + ") match no repository"
	stabel := "policy app: policies[1].keep[1].tags (stabel) match none of the tags the policy governs"
	type got struct{ Key, Shard string }
	warnings := func(t *testing.T, stdout string) []got {
		t.Helper()
		var p retention.Plan
		if err := json.Unmarshal([]byte(stdout), &p); err != nil {
			t.Fatalf("not a JSON report: %v\n%s", err, stdout)
		}
		var out []got
		for _, w := range p.Warnings {
			if w.Kind != retention.WarnUnmatched {
				t.Errorf("warning of kind %q, want %s", w.Kind, retention.WarnUnmatched)
			}
			out = append(out, got{w.Key, w.Shard})
		}
		return out
	}
	both := []got{{"policies[0].repositories", ""}, {"policies[1].keep[1].tags", ""}}

	summary := filepath.Join(t.TempDir(), "summary.md")
	r := runCLI(t, map[string]string{"GITHUB_STEP_SUMMARY": summary}, "plan", "-c", cfg, "-o", "json", "--log-format", "json")
	if r.code != 0 {
		t.Fatalf("plan: exit %d, want 0 (warnings alone do not fail a run)\n%s", r.code, r.stderr)
	}
	if diff := cmp.Diff(both, warnings(t, r.stdout)); diff != "" {
		t.Errorf("plan -o json: warnings (-want +got):\n%s", diff)
	}
	for _, w := range []string{typo, stabel} {
		if !strings.Contains(r.stderr, `"level":"WARN","msg":"`+w) {
			t.Errorf("the log lacks the warning %q:\n%s", w, r.stderr)
		}
	}
	if b, _ := os.ReadFile(summary); !strings.Contains(string(b), "> **Warning:** policy typo") || !strings.Contains(string(b), "> **Warning:** policy app") {
		t.Errorf("the step summary lacks the warnings:\n%s", b)
	}
	for _, f := range []struct{ format, prefix string }{{"text", "warning: "}, {"markdown", "> **Warning:** "}} {
		r := runCLI(t, nil, "plan", "-c", cfg, "-o", f.format)
		if r.code != 0 {
			t.Fatalf("plan -o %s: exit %d\n%s", f.format, r.code, r.stderr)
		}
		for _, w := range []string{typo, stabel} {
			if f.format == "markdown" {
				w = strings.NewReplacer("[", `\[`, "]", `\]`, "*", `\*`).Replace(w)
			}
			if !strings.Contains(r.stdout, f.prefix+w) {
				t.Errorf("plan -o %s lacks %q:\n%s", f.format, f.prefix+w, r.stdout)
			}
		}
	}

	// failOn, from the file or the flag: exit 1, the report still whole.
	failing := writeConfig(t, "failOn: [unmatched]\n"+body)
	for _, args := range [][]string{
		{"plan", "-c", cfg, "-o", "json", "--fail-on", "unmatched"},
		{"plan", "-c", failing, "-o", "json"},
		{"apply", "-c", failing, "-o", "json", "--dry-run"},
		{"apply", "-c", cfg, "-o", "json", "--fail-on=unmatched"},
	} {
		r := runCLI(t, nil, args...)
		if r.code != exitFailure || !strings.Contains(r.stderr, "failOn unmatched: 2 such warnings") {
			t.Errorf("%v: exit %d, want %d naming failOn\n%s", args, r.code, exitFailure, r.stderr)
		}
		if diff := cmp.Diff(both, warnings(t, r.stdout)); diff != "" {
			t.Errorf("%v: warnings (-want +got):\n%s", args, diff)
		}
	}
	for _, args := range [][]string{
		{"plan", "-c", cfg, "--fail-on", "unmatchd"},
		{"validate", "-c", writeConfig(t, "failOn: [unmatchd]\n"+body)},
	} {
		if r := runCLI(t, nil, args...); r.code != exitUsage || !strings.Contains(r.stderr, `unmatchd\" is not a kind of warning`) {
			t.Errorf("%v: exit %d, want %d naming the bad value\n%s", args, r.code, exitUsage, r.stderr)
		}
	}

	// Sharded: the typo in every shard, the tags in the shard that holds
	// the repository, saying its shard.
	owner := 0
	for s := 0; s < 2; s++ {
		r := runCLI(t, nil, "plan", "-c", cfg, "-o", "json", "--shard", fmt.Sprintf("%d/2", s))
		if r.code != 0 {
			t.Fatalf("shard %d/2: exit %d\n%s", s, r.code, r.stderr)
		}
		ws := warnings(t, r.stdout)
		want := []got{{"policies[0].repositories", ""}}
		if len(ws) == 2 {
			owner++
			want = append(want, got{"policies[1].keep[1].tags", fmt.Sprintf("%d/2", s)})
			if !strings.Contains(r.stdout, fmt.Sprintf("(in shard %d/2: each shard judges its own repositories)", s)) {
				t.Errorf("shard %d/2: the warning does not say it was judged on the shard:\n%s", s, r.stdout)
			}
		}
		if diff := cmp.Diff(want, ws); diff != "" {
			t.Errorf("shard %d/2: warnings (-want +got):\n%s", s, diff)
		}
	}
	if owner != 1 {
		t.Errorf("%d shards judged the tags of the one repository, want 1", owner)
	}
}

// TestRestoreHint: apply names its run, with the hint that restore puts
// its deletions back, only when it recorded something: not when it
// deleted nothing. restore --repository that names nothing the run
// deleted in is exit 2, before any registry is contacted; the run's
// repository in another spelling of its host is restored.
func TestRestoreHint(t *testing.T) {
	t.Parallel()
	reg := registrytest.InMemory(t, false)
	proxy := registrytest.NewProxy(t, reg)
	now := time.Now()
	if _, err := seed.History(context.Background(), reg.Repo("acme/app"), []seed.Entry{
		{Tag: "v1.0.0", Created: now.Add(-72 * time.Hour)},
		{Tag: "v1.1.0", Created: now.Add(-48 * time.Hour)},
	}); err != nil {
		t.Fatal(err)
	}
	keeping := func(n int) string {
		return writeConfig(t, fmt.Sprintf("registries: [{host: %q, insecure: true}]\npolicies:\n  - name: p\n    repositories: [%q]\n    keep: [{semver: {highest: %d}}]\n",
			proxy.Host, proxy.Repo("acme/app"), n))
	}
	stateDir := filepath.Join(t.TempDir(), "state")
	const hint = "regprune restore --run"
	for _, format := range []string{"text", "markdown", "json"} {
		r := runCLI(t, nil, "apply", "-c", keeping(2), "--state-dir", stateDir, "-o", format)
		if r.code != 0 {
			t.Fatalf("apply deleting nothing: exit %d\n%s", r.code, r.stderr)
		}
		if strings.Contains(r.stdout, hint) || strings.Contains(r.stdout, `"runId"`) {
			t.Errorf("apply -o %s deleted nothing, yet names a run to restore:\n%s", format, r.stdout)
		}
	}

	cfg := keeping(1)
	r := runCLI(t, nil, "apply", "-c", cfg, "--state-dir", stateDir, "-o", "text")
	m := regexp.MustCompile(`apply run (\S+): ` + hint + ` (\S+) puts its deletions back`).FindStringSubmatch(r.stdout)
	if r.code != 0 || m == nil || m[1] != m[2] {
		t.Fatalf("apply that deleted v1.0.0: exit %d, want 0 and the hint\n%s%s", r.code, r.stdout, r.stderr)
	}
	run := m[1]

	before := len(proxy.Requests())
	r = runCLI(t, nil, "restore", "-c", cfg, "--state-dir", stateDir, "--run", run, "--repository", proxy.Repo("acme/ap"))
	if r.code != exitUsage || !strings.Contains(r.stderr, "the run deleted nothing in this repository (it deleted in "+proxy.Repo("acme/app")+")") {
		t.Errorf("restore --repository with a typo: exit %d, want %d naming the run's repositories\n%s%s", r.code, exitUsage, r.stdout, r.stderr)
	}
	if n := len(proxy.Requests()) - before; n != 0 {
		t.Errorf("restore --repository with a typo sent %d requests to the registry, want none", n)
	}
	other := strings.Replace(proxy.Repo("acme/app"), "127.0.0.1:", "localhost:", 1)
	r = runCLI(t, nil, "restore", "-c", cfg, "--state-dir", stateDir, "--run", run, "--repository", other)
	if r.code != 0 || !strings.Contains(r.stdout, "restored") {
		t.Errorf("restore --repository %s: exit %d, want the run's repository restored\n%s%s", other, r.code, r.stdout, r.stderr)
	}
}

// TestLiteralPasswordWarning: validate (and plan) warn about a literal
// password in a file others can read only when the password is literal:
// never for ${VAR}, whether the variable is unset (validate where no
// secrets are) or set to a value that appears elsewhere in the file, and
// never for the shipped example.
func TestLiteralPasswordWarning(t *testing.T) {
	t.Parallel()
	readable := func(body string) string {
		p := writeConfig(t, body)
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	example, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	withPassword := func(pw string) string {
		return readable("registries: [{host: \"localhost:5000\", insecure: true, username: ci, password: \"" + pw + "\"}]\n" +
			"policies: [{name: p, repositories: [\"localhost:5000/ci/app\"], keep: [{newest: 1}]}]\n")
	}
	for _, tc := range []struct {
		name string
		path string
		env  map[string]string
		want bool
	}{
		{"the shipped example without its secrets", readable(string(example)), nil, false},
		{"the shipped example with its secrets", readable(string(example)), map[string]string{"REGISTRY_PASSWORD": "s3cret"}, false},
		{"an unset ${VAR}", withPassword("${REG_PASSWORD}"), nil, false},
		{"a ${VAR} whose value is elsewhere in the file", withPassword("${REG_PASSWORD}"), map[string]string{"REG_PASSWORD": "ci"}, false},
		{"a literal password", withPassword("hunter2"), nil, true},
	} {
		r := runCLI(t, tc.env, "validate", "-c", tc.path)
		if r.code != 0 {
			t.Errorf("%s: validate: exit %d\n%s%s", tc.name, r.code, r.stdout, r.stderr)
		}
		if got := strings.Contains(r.stdout, "literal password"); got != tc.want {
			t.Errorf("%s: validate warned about a literal password: %v, want %v\n%s", tc.name, got, tc.want, r.stdout)
		}
	}
}
