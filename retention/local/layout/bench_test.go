package layout

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/regprune/regprune/retention/manifest"
)

// writeBlob writes b under blobs/sha256 and returns its descriptor.
func writeBlob(tb testing.TB, root, mediaType string, b []byte) descriptor {
	sum := sha256.Sum256(b)
	h := hex.EncodeToString(sum[:])
	if err := os.WriteFile(filepath.Join(root, "blobs", "sha256", h), b, 0o644); err != nil {
		tb.Fatal(err)
	}
	return descriptor{MediaType: mediaType, Digest: "sha256:" + h, Size: int64(len(b))}
}

// bigLayout writes a layout of n single-layer images directly, one a
// minute apart, tagged app:v<i>, with blobs an hour old.
func bigLayout(tb testing.TB, root string, n int) {
	if err := os.MkdirAll(filepath.Join(root, "blobs", "sha256"), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644); err != nil {
		tb.Fatal(err)
	}
	base := time.Now().Add(-30 * 24 * time.Hour)
	entries := make([]descriptor, 0, n)
	for i := range n {
		layer := make([]byte, 64)
		rand.Read(layer)
		ld := writeBlob(tb, root, "application/vnd.oci.image.layer.v1.tar+gzip", layer)
		cfg := fmt.Sprintf(`{"created":%q,"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[%q]}}`,
			base.Add(time.Duration(i)*time.Minute).Format(time.RFC3339), ld.Digest)
		cd := writeBlob(tb, root, "application/vnd.oci.image.config.v1+json", []byte(cfg))
		m, err := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": manifest.MediaTypeOCIManifest, "config": cd, "layers": []descriptor{ld}})
		if err != nil {
			tb.Fatal(err)
		}
		md := writeBlob(tb, root, manifest.MediaTypeOCIManifest, m)
		md.Annotations = map[string]string{manifest.AnnotationRefName: fmt.Sprintf("localhost:5000/app:v%d", i)}
		entries = append(entries, md)
	}
	idx, err := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": manifest.MediaTypeOCIIndex, "manifests": entries})
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "index.json"), idx, 0o644); err != nil {
		tb.Fatal(err)
	}
	age(tb, root)
}

// linkCopy copies a layout by hard links: Apply removes blob files and
// renames a new index.json in, so the template is never changed.
func linkCopy(tb testing.TB, from, to string) {
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		return os.Link(p, filepath.Join(to, rel))
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkPruneLayout10k plans and applies keep-newest-5000 on 10,000
// entries (30,000 blobs): half the entries and their blobs go.
func BenchmarkPruneLayout10k(b *testing.B) {
	tmpl := filepath.Join(b.TempDir(), "tmpl")
	bigLayout(b, tmpl, 10_000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		root := filepath.Join(b.TempDir(), fmt.Sprint(i))
		linkCopy(b, tmpl, root)
		lr := rules(b, root, 0, nil, keepNewest(5000))
		b.StartTimer()
		plan := Plan(b.Context(), lr, time.Now())
		rep := Apply(b.Context(), lr, plan, time.Now())
		if rep.Error != "" || rep.ReclaimedBytes == nil || *rep.ReclaimedBytes == 0 {
			b.Fatalf("apply: %s", rep.Error)
		}
	}
}
