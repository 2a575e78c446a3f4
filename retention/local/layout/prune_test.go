package layout

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/manifest"
)

func TestSharedBlobSurvives(t *testing.T) {
	t.Parallel()
	p := newLayout(t)
	old := image(t, day(30))
	// young shares old's layer and adds one.
	extra, err := random.Layer(512, types.OCILayer)
	if err != nil {
		t.Fatal(err)
	}
	young, err := mutate.AppendLayers(old, extra)
	if err != nil {
		t.Fatal(err)
	}
	young, err = mutate.CreatedAt(young, v1.Time{Time: day(1)})
	if err != nil {
		t.Fatal(err)
	}
	appendImage(t, p, old, "v1")
	appendImage(t, p, young, "v2")
	age(t, string(p))

	rep, gone := run(t, rules(t, string(p), 0, nil, keepNewest(1)))
	oldBlobs, youngBlobs := blobsOf(t, old), blobsOf(t, young)
	want := map[string]bool{oldBlobs[0]: true, oldBlobs[1]: true}
	if len(gone) != len(want) {
		t.Errorf("removed %v, want only old's manifest and config %v", gone, want)
	}
	for _, dg := range youngBlobs {
		if gone[dg] {
			t.Errorf("blob %s of the kept image was removed", dg)
		}
	}
	if td, _ := decision(rep, "v1"); td.Action != retention.Delete {
		t.Errorf("v1: %+v, want delete", td)
	}
}

func TestNestedIndex(t *testing.T) {
	t.Parallel()
	p := newLayout(t)
	inner, err := seed.Index(day(40), nil)
	if err != nil {
		t.Fatal(err)
	}
	outer := mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: inner})
	outer = mutate.Annotations(outer, map[string]string{manifest.AnnotationCreated: day(40).Format("2006-01-02T15:04:05Z07:00")}).(v1.ImageIndex)
	appendIndex(t, p, outer, "nested")
	kept := image(t, day(1))
	appendImage(t, p, kept, "latest")
	age(t, string(p))
	before := blobSizes(t, string(p))

	rep, gone := run(t, rules(t, string(p), 0, nil, keepNewest(1)))
	keptBlobs := map[string]bool{}
	for _, dg := range blobsOf(t, kept) {
		keptBlobs[dg] = true
	}
	for dg := range before {
		if keptBlobs[dg] == gone[dg] {
			t.Errorf("blob %s: removed %v, want removed exactly when the kept image does not use it", dg, gone[dg])
		}
	}
	var kinds []string
	for _, rp := range rep.Repositories {
		for _, d := range rp.Deletions {
			kinds = append(kinds, string(d.Kind))
			if d.Status != retention.StatusDeleted {
				t.Errorf("deletion %+v: want deleted", d)
			}
		}
	}
	// The outer index, the inner index and its two platform images.
	if got := strings.Join(kinds, ","); got != "index,child,child,child" {
		t.Errorf("deletion kinds %s, want index,child,child,child", got)
	}
}

func TestReferrers(t *testing.T) {
	t.Parallel()
	p := newLayout(t)
	gone, stays := image(t, day(30)), image(t, day(1))
	appendImage(t, p, gone, "old")
	appendImage(t, p, stays, "new")
	// Referrers live in blobs/ only: nothing in index.json names them.
	var refs []v1.Image
	for _, subject := range []v1.Image{gone, stays} {
		r, err := seed.Referrer(descOf(t, subject), "application/vnd.example.sbom+json")
		if err != nil {
			t.Fatal(err)
		}
		if err := p.WriteImage(r); err != nil {
			t.Fatal(err)
		}
		refs = append(refs, r)
	}
	age(t, string(p))

	rep, removed := run(t, rules(t, string(p), 0, nil, keepNewest(1)))
	for _, dg := range blobsOf(t, refs[0]) {
		if !removed[dg] && dg != blobsOf(t, refs[1])[1] { // the empty config is shared
			t.Errorf("blob %s of the referrer of a removed subject stayed", dg)
		}
	}
	for _, dg := range blobsOf(t, refs[1]) {
		if removed[dg] {
			t.Errorf("blob %s of the referrer of a kept subject was removed", dg)
		}
	}
	var found bool
	for _, d := range rep.Repositories[0].Deletions {
		if d.Kind == retention.KindReferrer && d.Digest == digestOf(t, refs[0]) {
			found = d.Status == retention.StatusDeleted
		}
	}
	if !found {
		t.Errorf("no deleted referrer deletion for %s in %+v", digestOf(t, refs[0]), rep.Repositories[0].Deletions)
	}
}

func TestUnknownMediaTypeIsKept(t *testing.T) {
	t.Parallel()
	p := newLayout(t)
	blob := []byte(`{"not":"a manifest we know"}`)
	h, _, err := v1.SHA256(strings.NewReader(string(blob)))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.WriteBlob(h, nopCloser(blob)); err != nil {
		t.Fatal(err)
	}
	desc := v1.Descriptor{MediaType: "application/vnd.example.thing.v1+json", Digest: h, Size: int64(len(blob)),
		Annotations: map[string]string{manifest.AnnotationRefName: "thing"}}
	if err := p.AppendDescriptor(desc); err != nil {
		t.Fatal(err)
	}
	// An index listing the same unknown type as a child.
	child := desc
	child.Annotations = nil
	raw, err := json.Marshal(v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: []v1.Descriptor{child}})
	if err != nil {
		t.Fatal(err)
	}
	ih, _, _ := v1.SHA256(strings.NewReader(string(raw)))
	if err := p.WriteBlob(ih, nopCloser(raw)); err != nil {
		t.Fatal(err)
	}
	if err := p.AppendDescriptor(v1.Descriptor{MediaType: types.OCIImageIndex, Digest: ih, Size: int64(len(raw)),
		Annotations: map[string]string{manifest.AnnotationRefName: "holder"}}); err != nil {
		t.Fatal(err)
	}
	age(t, string(p))

	rep, gone := run(t, rules(t, string(p), 0, nil, retention.Policy{Name: "all", Keep: []retention.KeepRule{{Tags: []string{"*"}}}}))
	if gone[h.String()] {
		t.Errorf("blob of unknown media type removed")
	}
	if len(gone) != 0 {
		t.Errorf("removed %v, want nothing", gone)
	}
	if len(rep.Repositories) == 0 {
		t.Fatal("no repositories")
	}
}

func TestStrayFilesUntouched(t *testing.T) {
	t.Parallel()
	p := newLayout(t)
	appendImage(t, p, image(t, day(30)), "old")
	strays := map[string]string{
		"blobs/sha256/not-a-digest":                     "x",
		"blobs/sha256/" + strings.Repeat("A", 64):       "upper-case hex",
		"blobs/sha256/" + strings.Repeat("a", 63):       "short",
		"blobs/md5/" + strings.Repeat("a", 32):          "unknown algorithm",
		"README":                                        "notes",
		".index.json.regprune-123.tmp":                  `{"schemaVer`, // a crashed rewrite's leftover
		"blobs/sha512/" + strings.Repeat("b", 64):       "wrong length",
		"blobs/sha256/" + strings.Repeat("c", 64) + ".": "suffix",
	}
	for name, content := range strays {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(string(p), name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := p.WriteFile(name, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	age(t, string(p))
	_, _ = run(t, rules(t, string(p), 0, nil, retention.Policy{Name: "none", Keep: []retention.KeepRule{{Tags: []string{"no-such-tag"}}}}))
	snap := snapshot(t, string(p))
	for name := range strays {
		if _, ok := snap[name]; !ok {
			t.Errorf("stray file %s was removed", name)
		}
	}
	if len(blobSizes(t, string(p))) != 5 { // the stray names under sha256 and sha512
		t.Errorf("blobs left: %v, want the five stray names only", blobSizes(t, string(p)))
	}
}

func TestGracePeriod(t *testing.T) {
	t.Parallel()
	p := newLayout(t)
	appendImage(t, p, image(t, day(1)), "v1")
	age(t, string(p))
	// A blob a pull is writing right now: nothing names it yet.
	fresh := []byte("layer being pulled")
	h, _, _ := v1.SHA256(strings.NewReader(string(fresh)))
	if err := p.WriteBlob(h, nopCloser(fresh)); err != nil {
		t.Fatal(err)
	}
	lr := rules(t, string(p), 0, nil, keepNewest(1))
	_, gone := run(t, lr)
	if gone[h.String()] {
		t.Fatal("a blob modified within the grace period was swept")
	}
	_, gone = run(t, lr, WithGracePeriod(0))
	if !gone[h.String()] {
		t.Fatal("an unreachable blob past the grace period stayed")
	}
}

func TestDigestSharedAcrossRepositories(t *testing.T) {
	t.Parallel()
	p := newLayout(t)
	img := image(t, day(30))
	appendImage(t, p, img, "example.com/a:v1")
	appendImage(t, p, img, "example.com/b:v1") // governed by no policy
	appendImage(t, p, image(t, day(1)), "example.com/a:v2")
	age(t, string(p))
	pol := keepNewest(1)
	pol.Repositories = []string{"example.com/a"}
	rep, gone := run(t, rules(t, string(p), 0, nil, pol))
	for _, dg := range blobsOf(t, img) {
		if gone[dg] {
			t.Errorf("blob %s still reached from example.com/b:v1 was removed", dg)
		}
	}
	for _, rp := range rep.Repositories {
		for _, d := range rp.Deletions {
			if d.Kind != retention.KindTag || d.Status != retention.StatusDeleted {
				t.Errorf("%s: deletion %+v, want a deleted tag-only deletion", rp.Repository, d)
			}
		}
	}
}

// TestSymlinkedBlobsNotSwept: a layout whose blobs folder is a symbolic
// link to another layout's is not pruned (a per-cache error naming the
// link), so it cannot sweep what the other keeps, and it keeps its own
// entries.
func TestSymlinkedBlobsNotSwept(t *testing.T) {
	t.Parallel()
	a, b := newLayout(t), newLayout(t)
	appendImage(t, a, image(t, day(30)), "a-old")
	appendImage(t, a, image(t, day(1)), "a-new")
	// b's blobs live in a's folder.
	bOld, bNew := image(t, day(30)), image(t, day(2))
	appendImage(t, b, bOld, "b-old")
	appendImage(t, b, bNew, "b-new")
	bBlobs := filepath.Join(string(b), "blobs", "sha256")
	des, err := os.ReadDir(bBlobs)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range des {
		if err := os.Rename(filepath.Join(bBlobs, de.Name()), filepath.Join(string(a), "blobs", "sha256", de.Name())); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.RemoveAll(filepath.Join(string(b), "blobs")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(string(a), "blobs"), filepath.Join(string(b), "blobs")); err != nil {
		t.Fatal(err)
	}
	age(t, string(a))
	lr := rules(t, string(b), 0, nil, keepNewest(1))
	plan := Plan(t.Context(), lr, time.Now())
	if !strings.Contains(plan.Error, "symbolic link") {
		t.Fatalf("plan of the linked layout: error %q, want one naming the symbolic link", plan.Error)
	}
	rep := Apply(t.Context(), lr, plan, time.Now())
	if rep.Error == "" {
		t.Errorf("apply of the linked layout succeeded: %+v", rep)
	}
	idx, err := os.ReadFile(filepath.Join(string(b), "index.json"))
	if err != nil || !strings.Contains(string(idx), "b-old") {
		t.Errorf("the linked layout's index.json lost entries (%v):\n%s", err, idx)
	}
	for _, dg := range blobsOf(t, bNew) {
		if _, err := os.Stat(filepath.Join(string(a), "blobs", "sha256", strings.TrimPrefix(dg, "sha256:"))); err != nil {
			t.Errorf("blob %s of b's kept image: %v", dg, err)
		}
	}
}

// TestSavedPlanRecheckedAtApply: a plan made under other rules (or edited
// by hand) is checked against the rules in force, as registries do: a
// protected tag, a tag younger than minAge and a repository no policy
// governs keep their entries, each with its reason.
func TestSavedPlanRecheckedAtApply(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, want string
		inForce    func(path string) retention.LayoutRules
	}{
		{"protected", "protected by protect.tags", func(path string) retention.LayoutRules {
			return rules(t, path, 0, []string{"v1"}, keepNewest(1))
		}},
		{"younger than minAge", "younger than minAge", func(path string) retention.LayoutRules {
			lr := rules(t, path, 0, nil, keepNewest(1))
			lr.Rules.MinAge = 365 * 24 * time.Hour
			return lr
		}},
		{"not governed", "no policy of the configuration in force governs", func(path string) retention.LayoutRules {
			return rules(t, path, 0, nil, retention.Policy{Name: "other", Repositories: []string{"elsewhere/*"}, Keep: []retention.KeepRule{{Newest: 1}}})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newLayout(t)
			appendImage(t, p, image(t, day(30)), "v1")
			appendImage(t, p, image(t, day(1)), "v2")
			age(t, string(p))
			plan := Plan(t.Context(), rules(t, string(p), 0, nil, keepNewest(1)), time.Now())
			if plan.Error != "" || len(plan.Repositories) == 0 || len(plan.Repositories[0].Deletions) == 0 {
				t.Fatalf("plan: %+v", plan)
			}
			rep := Apply(t.Context(), tc.inForce(string(p)), plan, time.Now())
			del := rep.Repositories[0].Deletions[0]
			if del.Status != retention.StatusSkipped || !strings.Contains(del.Reason, tc.want) {
				t.Errorf("v1's deletion: %s %q, want skipped: %s", del.Status, del.Reason, tc.want)
			}
			idx, err := os.ReadFile(filepath.Join(string(p), "index.json"))
			if err != nil || !strings.Contains(string(idx), "v1") {
				t.Errorf("v1's entry is gone from index.json (%v):\n%s", err, idx)
			}
		})
	}
}

// TestMissingManifestNoted: an entry whose manifest file is gone from
// blobs/ gets a note naming it; the layout is still planned.
func TestMissingManifestNoted(t *testing.T) {
	t.Parallel()
	p := newLayout(t)
	broken := appendImage(t, p, image(t, day(30)), "v1")
	appendImage(t, p, image(t, day(1)), "v2")
	alg, hex, _ := strings.Cut(broken, ":")
	if err := os.Remove(filepath.Join(string(p), "blobs", alg, hex)); err != nil {
		t.Fatal(err)
	}
	cp := Plan(t.Context(), rules(t, string(p), 0, nil, keepNewest(5)), time.Now())
	if cp.Error != "" {
		t.Fatalf("Plan: %s", cp.Error)
	}
	notes := strings.Join(cp.Notes, "\n")
	if !strings.Contains(notes, broken) || !strings.Contains(notes, "manifest is missing") || !strings.Contains(notes, ":v1") {
		t.Errorf("notes %q: want one naming v1 (%s) and its missing manifest", cp.Notes, broken)
	}
}
