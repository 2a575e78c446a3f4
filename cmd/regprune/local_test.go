package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
)

// TestLayoutScope: plan and apply cover an OCI layout under --scope local
// (a configuration with only a local section), plan changes nothing, and
// apply prunes and measures.
func TestLayoutScope(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "oci")
	now := time.Now()
	if _, err := seed.Layout(dir, []seed.LayoutEntry{
		{Ref: "example.com/app:v1.0.0", Created: now.Add(-90 * 24 * time.Hour)},
		{Ref: "example.com/app:v1.1.0", Created: now.Add(-60 * 24 * time.Hour)},
		{Ref: "example.com/app:v1.2.0", Created: now.Add(-30 * 24 * time.Hour)},
	}, 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, fmt.Sprintf(`local:
  layouts:
    - path: %s
      policies:
        - repositories: ["example.com/*"]
          keep: [{semver: {highest: 1}}]
`, dir))
	index := func() string {
		b, err := os.ReadFile(filepath.Join(dir, "index.json"))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	before := index()
	r := runCLI(t, nil, "plan", "-c", cfg, "--scope", "local", "-o", "json")
	if r.code != 0 {
		t.Fatalf("plan: exit %d\n%s", r.code, r.stderr)
	}
	var p retention.Plan
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Local) != 1 || p.Summary.Delete != 2 || p.Local[0].EstimatedBytes == 0 {
		t.Fatalf("plan: want one layout with two deletions and an estimate, got %+v\n%s", p.Summary, r.stdout)
	}
	if index() != before {
		t.Fatal("plan changed the layout's index.json")
	}
	r = runCLI(t, nil, "apply", "-c", cfg, "--scope", "local", "-o", "json")
	if r.code != 0 {
		t.Fatalf("apply: exit %d\n%s", r.code, r.stderr)
	}
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		t.Fatal(err)
	}
	c := p.Local[0]
	if c.ReclaimedBytes == nil || *c.ReclaimedBytes != c.EstimatedBytes || p.Summary.Deleted != 2 {
		t.Errorf("apply: reclaimed %v of estimated %d, %d deleted", c.ReclaimedBytes, c.EstimatedBytes, p.Summary.Deleted)
	}
	if got := index(); strings.Contains(got, "v1.0.0") || !strings.Contains(got, "v1.2.0") {
		t.Errorf("index.json after apply:\n%s", got)
	}
	// --scope remote, with no policies, has nothing to do: a usage error,
	// not a green run that did nothing.
	after := index()
	r = runCLI(t, nil, "apply", "-c", cfg, "--scope", "remote", "-o", "json")
	if r.code != 2 || !strings.Contains(r.stderr, "nothing to do: --scope remote, and the configuration has no policies") {
		t.Errorf("--scope remote without policies: exit %d, stderr %q; want 2 saying there is nothing to do", r.code, r.stderr)
	}
	if index() != after {
		t.Error("--scope remote changed the layout")
	}
	if r := runCLI(t, nil, "plan", "-c", cfg, "--scope", "nowhere"); r.code != 2 {
		t.Errorf("--scope nowhere: exit %d, want 2", r.code)
	}
}

// TestApplyForgedLocalPlan: a saved plan whose local part was edited by
// hand (a kind that does not exist, a digest that is not one) is refused
// whole with exit code 2, and the layout is untouched.
func TestApplyForgedLocalPlan(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "oci")
	now := time.Now()
	if _, err := seed.Layout(dir, []seed.LayoutEntry{
		{Ref: "example.com/app:v1.0.0", Created: now.Add(-90 * 24 * time.Hour)},
		{Ref: "example.com/app:v1.1.0", Created: now.Add(-60 * 24 * time.Hour)},
	}, 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, fmt.Sprintf("local:\n  layouts:\n    - path: %s\n      policies:\n        - keep: [{semver: {highest: 1}}]\n", dir))
	r := runCLI(t, nil, "plan", "-c", cfg, "--scope", "local", "-o", "json")
	if r.code != 0 || !strings.Contains(r.stdout, `"kind": "image"`) {
		t.Fatalf("plan: exit %d, want one image deletion:\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	before, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	for name, forge := range map[string]func(*retention.Deletion){
		"bogus-kind":       func(d *retention.Deletion) { d.Kind = "bogus-kind" },
		"malformed digest": func(d *retention.Deletion) { d.Digest = "sha256:../../index.json" },
	} {
		var p retention.Plan
		if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
			t.Fatal(err)
		}
		forge(&p.Local[0].Repositories[0].Deletions[0])
		forged, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		plan := filepath.Join(t.TempDir(), "plan.json")
		if err := os.WriteFile(plan, forged, 0o600); err != nil {
			t.Fatal(err)
		}
		a := runCLI(t, nil, "apply", "-c", cfg, "--scope", "local", "--plan", plan)
		if a.code != 2 {
			t.Errorf("%s: apply exited %d, want 2:\n%s\n%s", name, a.code, a.stdout, a.stderr)
		}
		after, err := os.ReadFile(filepath.Join(dir, "index.json"))
		if err != nil || string(after) != string(before) {
			t.Fatalf("%s: the layout changed (%v):\n%s", name, err, after)
		}
	}
}

// TestSavedPlanNarrowedToNothing: a saved plan that --shard or --scope
// narrows to nothing says so, instead of a silent run that did nothing.
func TestSavedPlanNarrowedToNothing(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, "policies:\n  - name: p\n    repositories: [localhost:5000/a]\n    keep: [{newest: 1}]\n")
	plan := filepath.Join(t.TempDir(), "plan.json")
	doc := `{"schemaVersion": 1, "mode": "plan", "repositories": [{"repository": "localhost:5000/a", "policies": ["p"], "tags": [], "deletions": []}]}`
	if err := os.WriteFile(plan, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	// Find the shard of 2 that does not own the repository.
	for _, args := range [][]string{
		{"apply", "-c", cfg, "--plan", plan, "--shard", "0/2", "-o", "json"},
		{"apply", "-c", cfg, "--plan", plan, "--shard", "1/2", "-o", "json"},
	} {
		r := runCLI(t, nil, args...)
		var p retention.Plan
		if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
			t.Fatalf("%q: exit %d, %v:\n%s\n%s", args, r.code, err, r.stdout, r.stderr)
		}
		if len(p.Repositories) > 0 {
			continue // the shard that owns it
		}
		if !strings.Contains(strings.Join(p.Notes, "\n"), "nothing of the saved plan is left") {
			t.Errorf("%q: notes %q, want one saying nothing is left", args, p.Notes)
		}
	}
}
