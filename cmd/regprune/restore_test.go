package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/job"
)

// TestRestore undoes an apply on the real Distribution registry: every
// deleted manifest (an index and its children, images, a signature) and
// every tag (a tag that went alone too) comes back, byte for byte. After
// the registry garbage-collects the blobs, restore reports each manifest
// it cannot bring back with the registry's answer, and exits 1.
func TestRestore(t *testing.T) {
	t.Parallel()
	reg := registrytest.StartDistribution(t)
	now := time.Now()
	ago := func(days int) time.Time { return now.Add(-time.Duration(days) * 24 * time.Hour) }
	repo := reg.Repo("acme/app")
	if _, err := seed.History(context.Background(), repo, []seed.Entry{
		{Tag: "v1.0.0", Kind: seed.KindIndex, Created: ago(90)},
		{Tag: "v1.1.0", Created: ago(60)},
		{Kind: seed.KindSignature, Of: "v1.1.0"},
		{Tag: "v1.2.0", Created: ago(30)},
		{Tag: "edge", Kind: seed.KindAlias, Of: "v1.2.0"},
		{Tag: "v2.0.0", Created: ago(5)},
		{Tag: "latest-build", Kind: seed.KindAlias, Of: "v2.0.0"},
	}); err != nil {
		t.Fatal(err)
	}
	// What every tag points at, and the bytes of every manifest.
	before := snapshot(t, repo)
	cfg := writeConfig(t, fmt.Sprintf(`registries: [{host: %q, insecure: true}]
policies:
  - name: p
    repositories: [%q]
    keep: [{semver: {highest: 1}}, {tags: [edge]}]
`, reg.Host, repo))
	dir := t.TempDir()
	stateDir := filepath.Join(dir, "state")
	reportFile := filepath.Join(dir, "report.json")

	r := runCLI(t, nil, "apply", "-c", cfg, "--state-dir", stateDir, "-o", "json", "--output-file", reportFile)
	if r.code != 0 {
		t.Fatalf("apply: exit %d\n%s", r.code, r.stderr)
	}
	var p retention.Plan
	b, _ := os.ReadFile(reportFile)
	if err := json.Unmarshal(b, &p); err != nil || p.RunID == "" {
		t.Fatalf("the report has no runId: %v\n%s", err, b)
	}
	if p.Summary.Deleted < 5 || p.Summary.TagOnly == 0 {
		t.Fatalf("apply deleted too little to test restore: %+v", p.Summary)
	}
	if after := listTags(t, repo); len(after) >= len(before.tags) {
		t.Fatalf("nothing was deleted: %v", after)
	}

	r = runCLI(t, nil, "restore", "-c", cfg, "--state-dir", stateDir, "--list")
	if r.code != 0 || !strings.Contains(r.stdout, p.RunID) {
		t.Errorf("restore --list: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, nil, "restore", "-c", cfg, "--state-dir", stateDir, "--report", reportFile, "--dry-run")
	if r.code != 0 || !strings.Contains(r.stdout, "planned") || !slices.Equal(listTags(t, repo), []string{"edge", "v2.0.0"}) {
		t.Errorf("restore --dry-run changed something or failed: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, nil, "restore", "-c", cfg, "--state-dir", stateDir, "--run", p.RunID, "-o", "json")
	if r.code != 0 {
		t.Fatalf("restore: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := snapshot(t, repo); !got.equal(before) {
		t.Errorf("after restore:\n%v\nwant:\n%v", got.tags, before.tags)
	}
	// Again: everything is there already, nothing is pushed, exit 0.
	r = runCLI(t, nil, "restore", "-c", cfg, "--state-dir", stateDir, "--run", p.RunID, "-o", "json")
	if r.code != 0 || strings.Contains(r.stdout, `"restored"`) || !strings.Contains(r.stdout, `"present"`) {
		t.Errorf("a second restore: exit %d, want 0 and every manifest present\n%s%s", r.code, r.stdout, r.stderr)
	}

	// Deleted again, and a deleted tag pushed anew meanwhile: restore
	// brings the rest back and leaves that tag where it points now.
	r = runCLI(t, nil, "apply", "-c", cfg, "--state-dir", stateDir, "-o", "json", "--output-file", reportFile)
	if r.code != 0 {
		t.Fatalf("apply again: exit %d\n%s", r.code, r.stderr)
	}
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(mustRef(t, repo+":v1.0.0"), img); err != nil {
		t.Fatal(err)
	}
	pushed, _ := img.Digest()
	r = runCLI(t, nil, "restore", "-c", cfg, "--state-dir", stateDir, "--report", reportFile, "-o", "json")
	if r.code != exitFailure || !strings.Contains(r.stdout, `"partial"`) || !strings.Contains(r.stdout, "v1.0.0 (now "+pushed.String()+")") {
		t.Errorf("restore over a moved tag: exit %d, want 1 with v1.0.0 left alone\n%s%s", r.code, r.stdout, r.stderr)
	}
	got := snapshot(t, repo)
	if got.tags["v1.0.0"] != pushed.String() {
		t.Errorf("restore moved v1.0.0 back to %s; it was pushed anew as %s", got.tags["v1.0.0"], pushed)
	}
	for tag, d := range before.tags {
		if tag != "v1.0.0" && got.tags[tag] != d {
			t.Errorf("after restore over a moved tag: %s = %q, want %s", tag, got.tags[tag], d)
		}
	}

	// Deleted again, then garbage-collected: nothing can come back.
	r = runCLI(t, nil, "apply", "-c", cfg, "--state-dir", stateDir, "-o", "json", "--output-file", reportFile)
	if r.code != 0 {
		t.Fatalf("apply again: exit %d\n%s", r.code, r.stderr)
	}
	reg.GarbageCollect(t, "--delete-untagged")
	r = runCLI(t, nil, "restore", "-c", cfg, "--state-dir", stateDir, "--report", reportFile, "-o", "json")
	var out []job.Restored
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("restore after GC: %v\n%s%s", err, r.stdout, r.stderr)
	}
	failed := 0
	for _, o := range out {
		if o.Status == "failed" {
			failed++
			if !strings.Contains(o.Error, "BLOB_UNKNOWN") && !strings.Contains(o.Error, "MANIFEST") && !strings.Contains(o.Error, "unknown") {
				t.Errorf("%s: error %q does not carry the registry's answer", o.Digest, o.Error)
			}
		}
	}
	if r.code != exitFailure || failed == 0 {
		t.Errorf("restore after GC: exit %d, %d failed; want exit 1 and failures\n%s", r.code, failed, r.stdout)
	}
}

// repoSnapshot is what a repository holds: its tags' digests and the
// bytes of those manifests and of their children.
type repoSnapshot struct {
	tags      map[string]string
	manifests map[string][]byte
}

func (a repoSnapshot) equal(b repoSnapshot) bool {
	if len(a.tags) != len(b.tags) || len(a.manifests) != len(b.manifests) {
		return false
	}
	for t, d := range a.tags {
		if b.tags[t] != d {
			return false
		}
	}
	for d, raw := range a.manifests {
		if !bytes.Equal(b.manifests[d], raw) {
			return false
		}
	}
	return true
}

func snapshot(t *testing.T, repo string) repoSnapshot {
	t.Helper()
	s := repoSnapshot{tags: map[string]string{}, manifests: map[string][]byte{}}
	var read func(ref string) string
	read = func(ref string) string {
		desc, err := remote.Get(mustRef(t, ref))
		if err != nil {
			t.Fatal(err)
		}
		d := desc.Digest.String()
		s.manifests[d] = desc.Manifest
		if desc.MediaType.IsIndex() {
			idx, _ := desc.ImageIndex()
			m, _ := idx.IndexManifest()
			for _, c := range m.Manifests {
				read(repo + "@" + c.Digest.String())
			}
		}
		return d
	}
	for _, tag := range listTags(t, repo) {
		s.tags[tag] = read(repo + ":" + tag)
	}
	return s
}
