package registrytest

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// PushImage pushes a small random image to ref (repository:tag, over
// plain HTTP on loopback) and returns its digest. opts carry the
// credentials an emulator asks for (remote.WithAuth).
func PushImage(t testing.TB, ref string, opts ...remote.Option) string {
	t.Helper()
	img, d := randomImage(t)
	write(t, ref, func(r name.Reference) error { return remote.Write(r, img, opts...) })
	return d
}

// PushUntagged pushes a small random image to repo by its digest only,
// untagged, and returns the digest.
func PushUntagged(t testing.TB, repo string, opts ...remote.Option) string {
	t.Helper()
	img, d := randomImage(t)
	write(t, repo+"@"+d, func(r name.Reference) error { return remote.Write(r, img, opts...) })
	return d
}

// randomImage is a small random image and its digest.
func randomImage(t testing.TB) (v1.Image, string) {
	t.Helper()
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return img, d.String()
}

// PushIndex pushes a two-platform index to ref, its children by digest,
// and returns the index's digest and the children's.
func PushIndex(t testing.TB, ref string, opts ...remote.Option) (string, []string) {
	t.Helper()
	var idx v1.ImageIndex = empty.Index
	var children []string
	for range 2 {
		img, d := randomImage(t)
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img})
		children = append(children, d)
	}
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	write(t, ref, func(r name.Reference) error { return remote.WriteIndex(r, idx, opts...) })
	return d.String(), children
}

func write(t testing.TB, ref string, do func(name.Reference) error) {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := do(r); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
}
