package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
)

// result is one in-process run of the command.
type result struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	code := run(context.Background(), args, &out, &errb, lookup)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "regprune.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestValidate(t *testing.T) {
	t.Parallel()
	good := writeConfig(t, "policies:\n  - name: p\n    repositories: [localhost:5000/a]\n    keep: [{newest: 1}]\n")
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		wantCode int
		wantOut  string // substring of stdout
		wantErr  string // substring of stderr
	}{
		{"the shipped example is valid", map[string]string{"REGISTRY_PASSWORD": "s3cret"}, []string{"validate", "-c", "../../config.example.yaml"}, 0, "valid", ""},
		{"the shipped example validates without its secrets", nil, []string{"validate", "-c", "../../config.example.yaml"}, 0, "warning: registries[0].password: environment variable REGISTRY_PASSWORD is not set", ""},
		{"plan needs the secrets validate warns about", nil, []string{"plan", "-c", "../../config.example.yaml"}, 2, "", "REGISTRY_PASSWORD is not set"},
		{"REGPRUNE_CONFIG names the file", map[string]string{"REGPRUNE_CONFIG": good}, []string{"validate"}, 0, "valid: 1 policies", ""},
		{"-c overrides REGPRUNE_CONFIG", map[string]string{"REGPRUNE_CONFIG": "/nonexistent.yaml"}, []string{"validate", "-c", good}, 0, "valid", ""},
		{"missing file", nil, []string{"validate", "-c", "/nonexistent/regprune.yaml"}, 2, "", "/nonexistent/regprune.yaml"},
		{"missing file suggests init", nil, []string{"plan", "-c", "/nonexistent/regprune.yaml"}, 2, "", "'regprune init /nonexistent/regprune.yaml' writes a commented one"},
		{"missing ./regprune.yaml suggests init", nil, []string{"validate"}, 2, "", "'regprune init' writes a commented one"},
		{"two spellings it cannot prove one", map[string]string{"REGPRUNE_CONFIG": writeConfig(t, "policies:\n  - name: p\n    repositories: [registry.corp:5000/a]\n    keep: [{newest: 1}]\n  - name: q\n    repositories: [10.1.2.3:5000/a]\n    keep: [{newest: 2}]\n")}, []string{"validate"}, 0, `warning: registry hosts "registry.corp:5000" and "10.1.2.3:5000" may be one registry`, ""},
		{"clock: pushed where there are no push times", nil, []string{"validate", "-c", writeConfig(t, "policies:\n  - name: p\n    repositories: [localhost:5000/a]\n    clock: pushed\n    keep: [{newest: 1}]\n")}, 0, "warning: policies[0].clock: pushed: localhost:5000 gives no push times over the OCI API", ""},
		{"unknown key names the key", nil, []string{"validate", "-c", writeConfig(t, "policies:\n  - name: p\n    repositories: [localhost:5000/a]\n    keep: [{newset: 1}]\n")}, 2, "", "policies[0].keep[0]"},
		{"bad regex names the key", nil, []string{"validate", "-c", writeConfig(t, "protect: {tags: [\"/(/\"]}\n")}, 2, "", "protect.tags[0]"},
		{"negative number", nil, []string{"validate", "-c", writeConfig(t, "concurrency: -1\n")}, 2, "", "concurrency"},
		{"policy without repositories", nil, []string{"validate", "-c", writeConfig(t, "policies:\n  - name: p\n    keep: [{newest: 1}]\n")}, 2, "", "policies[0].repositories"},
		{"invalid YAML", nil, []string{"validate", "-c", writeConfig(t, "policies: [\n")}, 2, "", "regprune.yaml"},
		{"unknown flag is bad usage", nil, []string{"validate", "--nope"}, 2, "", "unknown flag"},
		{"unknown command is bad usage", nil, []string{"prune-everything"}, 2, "", "unknown command"},
		{"bad output format", nil, []string{"plan", "-c", good, "-o", "yaml"}, 2, "", "--output"},
		{"concurrency flag overrides the file", nil, []string{"validate", "-c", good, "--concurrency", "-3"}, 2, "", "concurrency"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, tc.env, tc.args...)
			if r.code != tc.wantCode {
				t.Fatalf("exit code = %d, want %d\nstdout: %s\nstderr: %s", r.code, tc.wantCode, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout, tc.wantOut) {
				t.Errorf("stdout %q does not contain %q", r.stdout, tc.wantOut)
			}
			if !strings.Contains(r.stderr, tc.wantErr) {
				t.Errorf("stderr %q does not contain %q", r.stderr, tc.wantErr)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "regprune ") {
		t.Errorf("version: code %d, stdout %q", r.code, r.stdout)
	}
}

func TestDemo(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "demo", "-o", "json")
	if r.code != 0 {
		t.Fatalf("demo exit code %d\nstderr: %s", r.code, r.stderr)
	}
	var p retention.Plan
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	if err := dec.Decode(&p); err != nil || dec.More() {
		t.Fatalf("the demo's stdout is not one JSON report: %v\n%s", err, r.stdout)
	}
	if p.Mode != "apply" || p.Summary.Delete == 0 || p.Summary.Keep == 0 || p.Summary.Children == 0 || p.Summary.Referrers == 0 || p.Summary.TagOnly == 0 || p.Summary.UntaggedManifests == 0 {
		t.Errorf("the demo should apply keeps, deletions, children, referrers, tag-only and untagged deletions; summary: %+v", p.Summary)
	}
	// The GHCR part: a package on the emulator, pruned through its API.
	var ghcr *retention.RepoPlan
	for i := range p.Repositories {
		if strings.HasSuffix(p.Repositories[i].Repository, "/acme/app") {
			ghcr = &p.Repositories[i]
		}
	}
	if ghcr == nil || ghcr.Error != "" || !slices.ContainsFunc(ghcr.Deletions, func(d retention.Deletion) bool { return d.Kind == retention.KindUntagged }) ||
		!slices.ContainsFunc(ghcr.Deletions, func(d retention.Deletion) bool { return d.Kind == retention.KindTag }) {
		t.Errorf("the demo should prune a GHCR package with untagged and tag-only deletions: %+v", ghcr)
	}
	if p.Summary.Deleted == 0 || p.Summary.DeletionsFailed != 0 || p.Summary.Skipped != 0 {
		t.Errorf("the demo's deletions should all succeed; summary: %+v", p.Summary)
	}
	if len(p.Local) != 1 || p.Local[0].Kind != "layout" || p.Local[0].ReclaimedBytes == nil || *p.Local[0].ReclaimedBytes == 0 {
		t.Errorf("the demo should prune its OCI layout and measure the bytes: %+v", p.Local)
	}
	if !strings.Contains(r.stderr, "what remains in the registry") {
		t.Errorf("the demo should show what remains; stderr:\n%s", r.stderr)
	}
	tags := map[string]retention.TagDecision{}
	for _, rp := range p.Repositories {
		for _, td := range rp.Tags {
			tags[td.Tag] = td
		}
	}
	if td := tags["tools-repro"]; td.Action != retention.Keep || td.Created != nil {
		t.Errorf("the 1970 build must be kept with an unknown time: %+v", td)
	}
}

// TestPlanAgainstDistribution runs `regprune plan -o json` against the
// real Distribution registry and checks every tag's decision.
func TestPlanAgainstDistribution(t *testing.T) {
	t.Parallel()
	reg := registrytest.StartDistribution(t)
	ctx := context.Background()
	now := time.Now()
	ago := func(d float64) time.Time { return now.Add(-time.Duration(d * float64(24*time.Hour))) }
	repo := reg.Repo("acme/api")
	digests, err := seed.History(ctx, repo, []seed.Entry{
		{Tag: "v1.0.0", Created: ago(100)},
		{Tag: "v1.1.0", Created: ago(90)},
		{Tag: "v1.2.0", Created: ago(80), Kind: seed.KindIndex},
		{Tag: "v1.3.0-rc.1", Created: ago(70)},
		{Tag: "main-1", Created: ago(60)},
		{Tag: "main-2", Created: ago(50)},
		{Tag: "main-3", Created: ago(2)},
		{Tag: "stable", Kind: seed.KindAlias, Of: "main-1"},
		{Tag: "repro", Created: time.Unix(0, 0)},
		{Tag: "fresh", Created: ago(0.1)},
		{Kind: seed.KindSignature, Of: "v1.0.0"},
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, fmt.Sprintf(`minAge: 24h
protect: {tags: [stable]}
registries:
  - host: %s
    insecure: true
policies:
  - name: api
    repositories: ["%s/acme/*"]
    keep:
      - tags: ["v*"]
        semver: {highest: 2}
      - tags: ["main-*"]
        newest: 1
`, reg.Host, reg.Host))
	r := runCLI(t, nil, "plan", "-c", cfg, "-o", "json")
	if r.code != 0 {
		t.Fatalf("exit code %d\nstderr: %s", r.code, r.stderr)
	}
	var p retention.Plan
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("stdout is not one JSON plan: %v\n%s", err, r.stdout)
	}
	if dec.More() {
		t.Fatalf("stdout holds more than one JSON document")
	}
	if p.SchemaVersion != 1 || p.Mode != "plan" || len(p.Repositories) != 1 || p.Repositories[0].Repository != repo {
		t.Fatalf("unexpected plan header: %+v", p)
	}
	sigTag := seed.SignatureTag(mustHash(t, digests["v1.0.0"]))
	want := map[string]retention.Action{
		"v1.0.0": retention.Delete, "v1.1.0": retention.Keep, "v1.2.0": retention.Keep, "v1.3.0-rc.1": retention.Delete,
		// main-1 shares its digest with the protected stable: the tag
		// main-1 is deleted alone.
		"main-1": retention.Delete, "main-2": retention.Delete, "main-3": retention.Keep,
		"stable": retention.Keep, "repro": retention.Keep, "fresh": retention.Keep, sigTag: retention.Delete,
	}
	got := map[string]retention.Action{}
	for _, td := range p.Repositories[0].Tags {
		got[td.Tag] = td.Action
		if len(td.Reasons) == 0 {
			t.Errorf("tag %s has no reasons", td.Tag)
		}
		if td.Digest != digests[td.Tag] {
			t.Errorf("tag %s: digest %s, want %s", td.Tag, td.Digest, digests[td.Tag])
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("actions (-want +got):\n%s\n%s", diff, r.stdout)
	}
	kinds := map[retention.Kind]int{}
	for _, d := range p.Repositories[0].Deletions {
		kinds[d.Kind]++
	}
	if diff := cmp.Diff(map[retention.Kind]int{retention.KindImage: 3, retention.KindTag: 1, retention.KindReferrer: 1}, kinds); diff != "" {
		t.Errorf("deletion kinds (-want +got):\n%s", diff)
	}
	if strings.Contains(r.stdout, "level=") {
		t.Errorf("logs leaked into stdout")
	}
}

// TestPlanPartialFailure: a repository that does not exist and a
// registry that cannot be reached are reported with an error and exit
// code 1, and the other repositories are still planned.
func TestPlanPartialFailure(t *testing.T) {
	t.Parallel()
	reg := registrytest.InMemory(t, false)
	if _, err := seed.History(context.Background(), reg.Repo("acme/ok"), []seed.Entry{{Tag: "v1.0.0", Created: time.Now().Add(-time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, fmt.Sprintf(`policies:
  - name: p
    repositories: ["%[1]s/acme/ok", "%[1]s/acme/missing", "127.0.0.1:1/acme/unreachable"]
    keep: [{semver: {highest: 1}}]
`, reg.Host))
	r := runCLI(t, nil, "plan", "-c", cfg, "-o", "json")
	if r.code != 1 {
		t.Fatalf("exit code %d, want 1\nstderr: %s", r.code, r.stderr)
	}
	var p retention.Plan
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		t.Fatal(err)
	}
	errs := map[string]string{}
	for _, rp := range p.Repositories {
		errs[rp.Repository] = rp.Error
		if rp.Error != "" && len(rp.Deletions) > 0 {
			t.Errorf("%s failed but has deletions", rp.Repository)
		}
	}
	if errs[reg.Repo("acme/ok")] != "" {
		t.Errorf("acme/ok failed: %s", errs[reg.Repo("acme/ok")])
	}
	for _, bad := range []string{reg.Repo("acme/missing"), "127.0.0.1:1/acme/unreachable"} {
		if errs[bad] == "" {
			t.Errorf("%s: want an error, got none", bad)
		}
		if !strings.Contains(errs[bad], bad) && !strings.Contains(errs[bad], retention.Host(bad)) {
			t.Errorf("%s: error %q does not name the place", bad, errs[bad])
		}
	}
	if p.Summary.Failed != 2 {
		t.Errorf("summary counts %d failed repositories, want 2", p.Summary.Failed)
	}
}

func mustHash(t *testing.T, digest string) v1.Hash {
	t.Helper()
	h, err := v1.NewHash(digest)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestApplyInterrupted: a signal during apply (the context cancelled at
// the first DELETE) lets that deletion finish, skips the rest, still
// writes the full report, and exits 1.
func TestApplyInterrupted(t *testing.T) {
	t.Parallel()
	reg := registrytest.StartDistribution(t)
	proxy := registrytest.NewProxy(t, reg)
	seedReleases(t, reg, 6)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	proxy.Before(func(r *http.Request) {
		if r.Method == http.MethodDelete {
			cancel()
		}
	})
	cfg := releasesConfig(t, "concurrency: 1", proxy.Host, proxy.Repo("acme/app"))
	var out, errb bytes.Buffer
	code := run(ctx, []string{"apply", "-c", cfg, "-o", "json"}, &out, &errb, func(string) (string, bool) { return "", false })
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, errb.String())
	}
	var p retention.Plan
	if err := json.Unmarshal(out.Bytes(), &p); err != nil {
		t.Fatalf("the report was not written whole: %v\n%s", err, out.String())
	}
	if p.Summary.Deleted != 1 || p.Summary.Skipped != 4 {
		t.Errorf("want the deletion in flight done and the 4 others skipped, got %+v", p.Summary)
	}
	if !strings.Contains(errb.String(), "interrupted") {
		t.Errorf("stderr does not say it was interrupted:\n%s", errb.String())
	}
}
