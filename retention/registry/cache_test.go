package registry

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/regprune/regprune/retention/registrytest"
	"github.com/regprune/regprune/retention/state"
)

// TestCacheSecondListing lists a repository (an index with children,
// signatures, a gone subject) twice, as two runs sharing a state
// directory: the second resolves each tag with one HEAD and reads no
// manifest and no config, and learns the same.
func TestCacheSecondListing(t *testing.T) {
	t.Parallel()
	reg := registrytest.StartDistribution(t)
	proxy := registrytest.NewProxy(t, reg)
	seedRepo(t, strings.TrimSuffix(proxy.Repo("x"), "/x"))
	dir := t.TempDir()
	list := func() (map[string]int, any) {
		store, _, err := state.Open(dir, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		proxy.Reset()
		c := newClient(t, nil, WithCache(store))
		l, err := c.List(context.Background(), proxy.Repo("team/app"), true, now)
		if err != nil {
			t.Fatal(err)
		}
		return proxy.Counts(), l
	}
	first, l1 := list()
	second, l2 := list()
	if diff := cmp.Diff(l1, l2); diff != "" {
		t.Errorf("the second listing differs (-first +second):\n%s", diff)
	}
	if first["GET "+string(registrytest.KindManifestTag)] == 0 {
		t.Fatalf("the first listing read no manifest: %v", first)
	}
	tags := first["GET "+string(registrytest.KindManifestTag)]
	// One tag is read whole, to check that the registry's digest header
	// is the hash of what it serves; the others are HEADs.
	if got := second["GET "+string(registrytest.KindManifestTag)]; got != 1 {
		t.Errorf("the second listing sent %d GETs by tag, want 1 (the header probe): %v", got, second)
	}
	if got := second["GET "+string(registrytest.KindManifestDigest)]; got != 0 {
		t.Errorf("the second listing sent %d GETs by digest, want none: %v", got, second)
	}
	if got := second["HEAD "+string(registrytest.KindManifestTag)]; got != tags-1 {
		t.Errorf("the second listing sent %d HEADs by tag, want one per other tag (%d)", got, tags-1)
	}
	// No config, and not the payload of the gone subject's signature
	// either (which says whether it names this repository).
	if got := second["GET "+string(registrytest.KindBlob)]; got != 0 {
		t.Errorf("the second listing read %d blobs, want none: %v", got, second)
	}
}

// TestCacheDistrustsALyingHeader: a registry whose digest header is not
// the hash of the manifest it serves gets no HEAD-only listing from the
// cache: every tag is read whole, and every digest is the body's hash.
func TestCacheDistrustsALyingHeader(t *testing.T) {
	t.Parallel()
	reg := registrytest.StartDistribution(t)
	proxy := registrytest.NewProxy(t, reg)
	seedRepo(t, strings.TrimSuffix(proxy.Repo("x"), "/x"))
	store, _, err := state.Open(t.TempDir(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	c := newClient(t, nil, WithCache(store))
	first, err := c.List(context.Background(), proxy.Repo("team/app"), true, now)
	if err != nil {
		t.Fatal(err)
	}
	proxy.Inject(registrytest.Fault{Match: registrytest.Is("", registrytest.KindManifestTag),
		Header: map[string]string{"Docker-Content-Digest": "sha256:" + strings.Repeat("0", 64)}})
	proxy.Reset()
	second, err := c.List(context.Background(), proxy.Repo("team/app"), true, now)
	if err != nil {
		t.Fatal(err)
	}
	got := proxy.Counts()
	if heads := got["HEAD "+string(registrytest.KindManifestTag)]; heads != 0 {
		t.Errorf("%d tags resolved by a lying header: %v", heads, got)
	}
	if diff := cmp.Diff(first.Tags, second.Tags); diff != "" {
		t.Errorf("digests differ (-honest +lying):\n%s", diff)
	}
}
