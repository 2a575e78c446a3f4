package config

import (
	"os"
	"path/filepath"
	"strings"
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

// TestLoadOneLayoutTwice: one layout directory under two spellings (a
// trailing slash, a symbolic link, a relative path) is refused, naming
// both entries; two different layouts are fine.
func TestLoadOneLayoutTwice(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	lay := filepath.Join(dir, "lay")
	other := filepath.Join(dir, "other")
	for _, d := range []string{lay, other} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(lay, link); err != nil {
		t.Fatal(err)
	}
	// shared's blobs folder is lay's.
	shared := filepath.Join(dir, "shared")
	if err := os.MkdirAll(filepath.Join(lay, "blobs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(shared, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(lay, "blobs"), filepath.Join(shared, "blobs")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, a, b string
		wantErr    bool
	}{
		{"trailing slash", lay, lay + "/", true},
		{"one blobs folder", lay, shared, true},
		{"dot segments", lay, dir + "/./x/../lay", true},
		{"symbolic link", lay, link, true},
		{"two layouts", lay, other, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := "local:\n  layouts:\n    - path: " + tc.a + "\n      policies: [{keep: [{newest: 1}]}]\n    - path: " + tc.b + "\n      policies: [{keep: [{newest: 2}]}]\n"
			path := filepath.Join(t.TempDir(), "regprune.yaml")
			if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path, WithEnv(func(string) (string, bool) { return "", false }))
			if !tc.wantErr {
				if err != nil {
					t.Fatalf("two layouts: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "local.layouts[1].path") || !strings.Contains(err.Error(), "local.layouts[0].path") {
				t.Fatalf("error %v, want one naming local.layouts[1].path and local.layouts[0].path", err)
			}
		})
	}
}
