package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/regprune/regprune/retention"
)

// TestLoadLocal loads the local section of the contract: a
// configuration with only local caches and no remote policies is valid.
func TestLoadLocal(t *testing.T) {
	t.Parallel()
	const doc = `minAge: 1h
local:
  docker:
    host: ""
    policies:
      - name: local-api
        repositories: ["localhost:5000/acme/*"]
        clock: arrived
        keep:
          - semver: {highest: 2}
          - newest: 3
    followRemote: true
    dangling: 24h
    localOnly: protect
    buildCache: {olderThan: 168h, keepStorage: 10GiB}
  layouts:
    - path: /var/cache/oci
      policies:
        - keep: [{newest: 5}]
      maxSize: 20GiB
`
	path := filepath.Join(t.TempDir(), "regprune.yaml")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path, WithEnv(func(string) (string, bool) { return "", false }))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := &retention.Local{
		Docker: &retention.DockerCache{
			Policies: []retention.Policy{{
				Name: "local-api", Repositories: []string{"localhost:5000/acme/*"}, Clock: "arrived",
				Keep: []retention.KeepRule{{Semver: &retention.SemverRule{Highest: 2}}, {Newest: 3}},
			}},
			FollowRemote: true,
			Dangling:     retention.Duration(24 * time.Hour),
			LocalOnly:    "protect",
			BuildCache:   &retention.BuildCache{OlderThan: retention.Duration(168 * time.Hour), KeepStorage: 10 << 30},
		},
		Layouts: []retention.LayoutCache{{
			Path:     "/var/cache/oci",
			Policies: []retention.Policy{{Keep: []retention.KeepRule{{Newest: 5}}}},
			MaxSize:  20 << 30,
		}},
	}
	if diff := cmp.Diff(want, cfg.Local); diff != "" {
		t.Errorf("local (-want +got):\n%s", diff)
	}
	rules, err := cfg.Compile()
	if err != nil {
		t.Fatal(err)
	}
	if rules.Local == nil || rules.Local.Docker == nil || len(rules.Local.Layouts) != 1 {
		t.Fatalf("compiled local section is incomplete: %+v", rules.Local)
	}
	if got := rules.Local.Docker.Rules.MinAge; got != time.Hour {
		t.Errorf("local docker minAge = %v, want the top-level 1h", got)
	}
	if !rules.Local.Layouts[0].Rules.Policies[0].Governs("any/repository") {
		t.Error("a layout policy without repositories should govern every entry")
	}
	if !rules.Local.Docker.Rules.Policies[0].Governs("nginx", "localhost:5000/acme/api") {
		t.Error("a docker policy should match any of an image's names")
	}
}
