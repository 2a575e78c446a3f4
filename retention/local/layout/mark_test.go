package layout

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/manifest"
)

// TestManifestUnderUnknownMediaType: a descriptor may name a manifest
// under a media type the mark does not know (a tool that wrote the
// artifact type there, say). The blob is kept, and so is everything it
// references: unknown is kept, not half-kept.
func TestManifestUnderUnknownMediaType(t *testing.T) {
	t.Parallel()
	p := newLayout(t)
	img := image(t, day(3))
	if err := p.WriteImage(img); err != nil {
		t.Fatal(err)
	}
	desc := descOf(t, img)
	desc.MediaType = "application/vnd.example.thing.v1+json"
	desc.Annotations = map[string]string{manifest.AnnotationRefName: "thing"}
	if err := p.AppendDescriptor(desc); err != nil {
		t.Fatal(err)
	}
	age(t, string(p))
	_, gone := run(t, rules(t, string(p), 0, nil, retention.Policy{Name: "all", Keep: []retention.KeepRule{{Tags: []string{"*"}}}}))
	if len(gone) != 0 {
		t.Errorf("removed %v from a kept entry's manifest (blobs %v)", gone, blobsOf(t, img))
	}
}

// TestSameManifestTwoMediaTypes: one manifest named by two entries, the
// first under an unknown media type, the second as an image manifest.
// Reaching it first as opaque must not stop the mark from following it
// as a manifest.
func TestSameManifestTwoMediaTypes(t *testing.T) {
	t.Parallel()
	p := newLayout(t)
	img := image(t, day(3))
	if err := p.WriteImage(img); err != nil {
		t.Fatal(err)
	}
	opaque := descOf(t, img)
	opaque.MediaType = "application/vnd.example.opaque"
	opaque.Annotations = map[string]string{manifest.AnnotationRefName: "opaque"}
	if err := p.AppendDescriptor(opaque); err != nil {
		t.Fatal(err)
	}
	known := descOf(t, img)
	known.MediaType = types.OCIManifestSchema1
	known.Annotations = map[string]string{manifest.AnnotationRefName: "v1"}
	if err := p.AppendDescriptor(known); err != nil {
		t.Fatal(err)
	}
	age(t, string(p))
	_, gone := run(t, rules(t, string(p), 0, nil, retention.Policy{Name: "all", Keep: []retention.KeepRule{{Tags: []string{"*"}}}}))
	if len(gone) != 0 {
		t.Errorf("removed %v, want nothing (blobs %v)", gone, blobsOf(t, img))
	}
}

// TestManifestsKeyCase: JSON decoders that match field names without
// regard to case (Go's, for one) read "Manifests" as the entries. An
// index.json that spells the key so is refused, not read as empty: an
// empty index would let the sweep take every blob.
func TestManifestsKeyCase(t *testing.T) {
	t.Parallel()
	p := newLayout(t)
	appendImage(t, p, image(t, day(3)), "v1")
	ip := filepath.Join(string(p), "index.json")
	b, err := os.ReadFile(ip)
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Replace(b, []byte(`"manifests"`), []byte(`"Manifests"`), 1)
	if err := os.WriteFile(ip, b, 0o644); err != nil {
		t.Fatal(err)
	}
	age(t, string(p))
	before := snapshot(t, string(p))
	lr := rules(t, string(p), 0, nil, keepNewest(1))
	plan := Plan(t.Context(), lr, time.Now())
	if !strings.Contains(plan.Error, "parsing index.json") || !strings.Contains(plan.Error, string(p)) {
		t.Errorf("Plan Error = %q, want a parsing error naming the layout", plan.Error)
	}
	plan.Error = ""
	if rep := Apply(t.Context(), lr, plan, time.Now()); !strings.Contains(rep.Error, "parsing index.json") {
		t.Errorf("Apply Error = %q", rep.Error)
	}
	if diff := cmp.Diff(before, snapshot(t, string(p))); diff != "" {
		t.Errorf("layout changed (-want +got):\n%s", diff)
	}
}
