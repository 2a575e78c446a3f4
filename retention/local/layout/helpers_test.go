package layout

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/partial"

	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/manifest"
)

// day is a plausible creation time n days before now.
func day(n int) time.Time {
	return time.Now().Add(-time.Duration(n) * 24 * time.Hour).Truncate(time.Second)
}

func newLayout(t *testing.T) layout.Path {
	t.Helper()
	p, err := layout.Write(t.TempDir(), empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func image(t *testing.T, created time.Time, opts ...seed.Option) v1.Image {
	t.Helper()
	img, err := seed.Image(created, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func refName(name string) layout.Option {
	return layout.WithAnnotations(map[string]string{manifest.AnnotationRefName: name})
}

func appendImage(t *testing.T, p layout.Path, img v1.Image, ref string) string {
	t.Helper()
	var opts []layout.Option
	if ref != "" {
		opts = append(opts, refName(ref))
	}
	if err := p.AppendImage(img, opts...); err != nil {
		t.Fatal(err)
	}
	return digestOf(t, img)
}

func appendIndex(t *testing.T, p layout.Path, ii v1.ImageIndex, ref string) string {
	t.Helper()
	if err := p.AppendIndex(ii, refName(ref)); err != nil {
		t.Fatal(err)
	}
	d, err := ii.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

func digestOf(t *testing.T, img partial.WithRawManifest) string {
	t.Helper()
	b, err := img.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func descOf(t *testing.T, img v1.Image) v1.Descriptor {
	t.Helper()
	d, err := seed.Descriptor(img)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// rules compiles a layout section for path.
func rules(t testing.TB, path string, maxSize int64, protect []string, policies ...retention.Policy) retention.LayoutRules {
	t.Helper()
	c := retention.Config{Protect: retention.Protect{Tags: protect}, Local: &retention.Local{Layouts: []retention.LayoutCache{{Path: path, Policies: policies, MaxSize: retention.ByteSize(maxSize)}}}}
	r, err := c.Compile()
	if err != nil {
		t.Fatal(err)
	}
	return r.Local.Layouts[0]
}

func keepNewest(n int) retention.Policy {
	return retention.Policy{Name: "newest", Keep: []retention.KeepRule{{Newest: n}}}
}

// age sets every file under the layout to an hour ago, past the grace
// period.
func age(t testing.TB, root string) {
	t.Helper()
	old := time.Now().Add(-time.Hour)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		return os.Chtimes(p, old, old)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// snapshot maps every file under root (but the lock file) to its content
// hash.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	if _, err := os.Stat(root); os.IsNotExist(err) {
		return out
	}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == LockFile {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out[rel] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// blobSizes maps the digest of every blob file to its size.
func blobSizes(t *testing.T, root string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, alg := range []string{"sha256", "sha512"} {
		des, err := os.ReadDir(filepath.Join(root, "blobs", alg))
		if err != nil {
			continue
		}
		for _, de := range des {
			fi, err := de.Info()
			if err != nil {
				t.Fatal(err)
			}
			out[alg+":"+de.Name()] = fi.Size()
		}
	}
	return out
}

// run plans and applies, failing on a cache error, and checks that the
// bytes reported are exactly those of the files removed and what the plan
// estimated. It returns the digests removed.
func run(t *testing.T, lr retention.LayoutRules, opts ...Option) (retention.CachePlan, map[string]bool) {
	t.Helper()
	ctx := t.Context()
	before := blobSizes(t, lr.Path)
	plan := Plan(ctx, lr, time.Now(), opts...)
	if plan.Error != "" {
		t.Fatalf("Plan: %s", plan.Error)
	}
	rep := Apply(ctx, lr, plan, time.Now(), opts...)
	if rep.Error != "" {
		t.Fatalf("Apply: %s", rep.Error)
	}
	after := blobSizes(t, lr.Path)
	gone := map[string]bool{}
	var sum int64
	for dg, n := range before {
		if _, ok := after[dg]; !ok {
			gone[dg] = true
			sum += n
		}
	}
	if rep.ReclaimedBytes == nil || *rep.ReclaimedBytes != sum {
		t.Errorf("ReclaimedBytes = %v, want %d (the removed files)", rep.ReclaimedBytes, sum)
	}
	if plan.EstimatedBytes != sum {
		t.Errorf("EstimatedBytes = %d, want %d (the removed files)", plan.EstimatedBytes, sum)
	}
	checkValidIndex(t, lr.Path)
	return rep, gone
}

// checkValidIndex reads the layout with go-containerregistry.
func checkValidIndex(t *testing.T, root string) {
	t.Helper()
	ii, err := layout.ImageIndexFromPath(root)
	if err != nil {
		t.Fatalf("reading layout: %v", err)
	}
	if _, err := ii.IndexManifest(); err != nil {
		t.Fatalf("reading index.json: %v", err)
	}
}

// blobsOf lists the blobs of an image: manifest, config, layers.
func blobsOf(t *testing.T, img v1.Image) []string {
	t.Helper()
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	out := []string{digestOf(t, img), m.Config.Digest.String()}
	for _, l := range m.Layers {
		out = append(out, l.Digest.String())
	}
	return out
}

func decision(cp retention.CachePlan, tag string) (retention.TagDecision, bool) {
	for _, rp := range cp.Repositories {
		for _, td := range rp.Tags {
			if td.Tag == tag {
				return td, true
			}
		}
	}
	return retention.TagDecision{}, false
}

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }

func nopCloser(b []byte) readCloser { return readCloser{strings.NewReader(string(b))} }

type v1Desc = v1.Descriptor
