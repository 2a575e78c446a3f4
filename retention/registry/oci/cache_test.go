package oci

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/regprune/regprune/internal/registrytest"
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
	for _, k := range []string{"GET " + string(registrytest.KindManifestTag), "GET " + string(registrytest.KindManifestDigest)} {
		if second[k] != 0 {
			t.Errorf("the second listing sent %d %s, want none: %v", second[k], k, second)
		}
	}
	if got := second["HEAD "+string(registrytest.KindManifestTag)]; got != tags {
		t.Errorf("the second listing sent %d HEADs by tag, want one per tag (%d)", got, tags)
	}
	// No config, and not the payload of the gone subject's signature
	// either (which says whether it names this repository).
	if got := second["GET "+string(registrytest.KindBlob)]; got != 0 {
		t.Errorf("the second listing read %d blobs, want none: %v", got, second)
	}
}

// TestCacheDistrustsALyingHeader: a registry whose digest header is not
// the hash of the manifest it serves gets no HEAD-only listing from the
// cache: a header that is not the hash last read for the tag sends the
// tag to a GET, and every digest stays the body's hash.
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
	// Every tag's header names one digest the cache holds.
	lie := first.Tags[0].Digest
	proxy.Inject(registrytest.Fault{Match: registrytest.Is("", registrytest.KindManifestTag),
		Header: map[string]string{"Docker-Content-Digest": lie}})
	proxy.Reset()
	second, err := c.List(context.Background(), proxy.Repo("team/app"), true, now)
	if err != nil {
		t.Fatal(err)
	}
	got := proxy.Counts()
	want := 0
	for _, tag := range first.Tags {
		if tag.Digest != lie {
			want++
		}
	}
	if gets := got["GET "+string(registrytest.KindManifestTag)]; gets != want {
		t.Errorf("%d tags read whole after a HEAD that named another digest, want %d: %v", gets, want, got)
	}
	if diff := cmp.Diff(first.Tags, second.Tags); diff != "" {
		t.Errorf("digests differ (-honest +lying):\n%s", diff)
	}
}
