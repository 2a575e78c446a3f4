package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/crane"

	"github.com/regprune/regprune/internal/registrytest"
)

// TestApplyOneRegistryTwoSpellings: a keep policy that names the
// registry as localhost:P and a delete policy that names it as
// 127.0.0.1:P govern the same repository, and keep wins: apply deletes
// only what both would delete, and plans the repository once.
func TestApplyOneRegistryTwoSpellings(t *testing.T) {
	t.Parallel()
	reg := registrytest.StartDistribution(t)
	seedReleases(t, reg, 4) // v1.0.0 .. v1.3.0
	_, port, ok := strings.Cut(reg.Host, ":")
	if !ok || !strings.HasPrefix(reg.Host, "127.0.0.1:") {
		t.Fatalf("registry host %q, want 127.0.0.1:PORT", reg.Host)
	}
	cfg := writeConfig(t, fmt.Sprintf(`
registries: [{host: "127.0.0.1:%[1]s", insecure: true}]
policies:
  - name: keep-all
    repositories: ["localhost:%[1]s/acme/app"]
    keep: [{tags: ["*"]}]
  - name: keep-one
    repositories: ["127.0.0.1:%[1]s/acme/app"]
    keep: [{semver: {highest: 1}}]
`, port))
	r := runCLI(t, nil, "apply", "-c", cfg, "-o", "json")
	if r.code != 0 {
		t.Fatalf("apply exited %d:\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	tags, err := crane.ListTags(reg.Repo("acme/app"), crane.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if len(tags) != 4 {
		t.Errorf("tags left %q, want all 4: keep-all governs the same repository under another spelling", tags)
	}
	if n := strings.Count(r.stdout, `"repository": "`); n != 1 {
		t.Errorf("the report lists %d repositories, want 1 (one repository, two spellings):\n%s", n, r.stdout)
	}
}
