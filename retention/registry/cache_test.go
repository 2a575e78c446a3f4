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
