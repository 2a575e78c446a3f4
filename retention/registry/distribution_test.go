package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/registrytest"
	"github.com/regprune/regprune/retention/seed"
)

// putTags points tags at the manifest of ref ("repo:tag") with raw PUTs
// of the same manifest: thousands of tags for the price of one image.
func putTags(t *testing.T, reg *registrytest.Registry, name, from string, tags []string) {
	t.Helper()
	get, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/v2/%s/manifests/%s", reg.URL, name, from), nil)
	get.Header.Set("Accept", strings.Join(manifestAccept, ","))
	resp, err := http.DefaultClient.Do(get)
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	resp.Body.Close()
	mt := resp.Header.Get("Content-Type")
	work := make(chan string)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for range 8 {
		wg.Go(func() {
			for tag := range work {
				req, _ := http.NewRequest(http.MethodPut, fmt.Sprintf("%s/v2/%s/manifests/%s", reg.URL, name, tag), bytes.NewReader(body.Bytes()))
				req.Header.Set("Content-Type", mt)
				resp, err := http.DefaultClient.Do(req)
				if err == nil {
					resp.Body.Close()
					if resp.StatusCode != http.StatusCreated {
						err = fmt.Errorf("PUT %s: %s", tag, resp.Status)
					}
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	for _, tag := range tags {
		work <- tag
	}
	close(work)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

// TestDistributionManyTags: Distribution caps a tags/list page at 1000
// and links the next; every tag comes back, and listing resolves each tag
// with one GET and reads the one config once.
func TestDistributionManyTags(t *testing.T) {
	t.Parallel()
	reg := registrytest.StartDistribution(t)
	proxy := registrytest.NewProxy(t, reg)
	ctx := context.Background()
	if _, err := seed.History(ctx, reg.Repo("many"), []seed.Entry{{Tag: "base", Created: feb}}); err != nil {
		t.Fatal(err)
	}
	c := New(nil)

	// 2000 tags: two full pages; Distribution links a third, empty one.
	putTags(t, reg, "many", "base", names("t", 1999))
	tags, err := c.ListTags(ctx, proxy.Repo("many"))
	if err != nil {
		t.Fatal(err)
	}
	if len(tags) != 2000 {
		t.Fatalf("ListTags returned %d tags, want 2000", len(tags))
	}
	if got := proxy.Count(http.MethodGet, registrytest.KindTags); got != 3 {
		t.Errorf("tags/list pages = %d, want 3 (the last one empty)", got)
	}

	putTags(t, reg, "many", "base", names("u", 100))
	proxy.Reset()
	l, err := c.List(ctx, proxy.Repo("many"), true, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Tags) != 2100 {
		t.Fatalf("List returned %d tags, want 2100", len(l.Tags))
	}
	for _, tag := range l.Tags {
		if tag.Digest != l.Tags[0].Digest {
			t.Fatalf("tag %s on %s, want every tag on %s", tag.Name, tag.Digest, l.Tags[0].Digest)
		}
	}
	if m := l.Manifests[l.Tags[0].Digest]; !m.Created.Equal(feb) || m.CreatedSource != "config" {
		t.Errorf("created %s from %q, want %s from config", m.Created, m.CreatedSource, feb)
	}
	want := map[string]int{
		"GET " + string(registrytest.KindTags):        3,
		"GET " + string(registrytest.KindManifestTag): 2100,
		"GET " + string(registrytest.KindBlob):        1,
	}
	got := proxy.Counts()
	delete(got, "GET "+string(registrytest.KindPing)) // the client authenticated above
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// TestDistributionCounts proves the request budget on the real registry:
// one ping per repository, one GET per tag, at most one config per
// distinct digest (none without needTime), child manifests only as
// needed.
func TestDistributionCounts(t *testing.T) {
	t.Parallel()
	reg := registrytest.StartDistribution(t)
	proxy := registrytest.NewProxy(t, reg)
	_, digests := seedRepo(t, reg.Host)
	if _, err := seed.History(context.Background(), reg.Repo("second"), []seed.Entry{
		{Tag: "a", Created: jan}, {Tag: "b", Created: feb},
	}); err != nil {
		t.Fatal(err)
	}
	for _, needTime := range []bool{true, false} {
		t.Run(fmt.Sprintf("needTime=%v", needTime), func(t *testing.T) {
			proxy.Reset()
			c := New(nil)
			ctx := context.Background()
			l, err := c.List(ctx, proxy.Repo("team/app"), needTime, now)
			if err != nil {
				t.Fatal(err)
			}
			// A second call on the same repository does not authenticate again.
			if _, err := c.ListTags(ctx, proxy.Repo("team/app")); err != nil {
				t.Fatal(err)
			}
			l2, err := c.List(ctx, proxy.Repo("second"), needTime, now)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(map[string]bool{digests["gone"]: true}, l.Missing); diff != "" {
				t.Errorf("Missing (-want +got):\n%s", diff)
			}
			if needTime {
				if m := l.Manifests[digests["multi"]]; !m.Created.Equal(apr) || !strings.HasPrefix(m.CreatedSource, "child ") {
					t.Errorf("multi created %s from %q, want %s from its first child", m.Created, m.CreatedSource, apr)
				}
			}
			wantBlobs, wantChildren := 0, 0
			if needTime {
				wantBlobs, wantChildren = 4+2, 1 // see TestListInMemory; second: 2 images
			}
			want := map[string]int{
				"GET " + string(registrytest.KindPing):            2, // one per repository
				"GET " + string(registrytest.KindTags):            3, // team/app twice, second once
				"GET " + string(registrytest.KindManifestTag):     len(l.Tags) + len(l2.Tags),
				"HEAD " + string(registrytest.KindManifestDigest): 2, // unknown subjects
			}
			if wantBlobs > 0 {
				want["GET "+string(registrytest.KindBlob)] = wantBlobs
				want["GET "+string(registrytest.KindManifestDigest)] = wantChildren
			}
			if diff := cmp.Diff(want, proxy.Counts()); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDistributionDelete: tag and digest deletion, sentinels, and a
// registry that refuses deletes.
func TestDistributionDelete(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("enabled", func(t *testing.T) {
		t.Parallel()
		reg := registrytest.StartDistribution(t)
		repo := reg.Repo("del")
		d, err := seed.History(ctx, repo, []seed.Entry{
			{Tag: "a", Created: jan}, {Tag: "a2", Kind: seed.KindAlias, Of: "a"}, {Tag: "b", Created: feb}, {Tag: "b2", Kind: seed.KindAlias, Of: "b"},
		})
		if err != nil {
			t.Fatal(err)
		}
		c := New(nil, WithDeleteScope())
		if got, err := c.HeadTag(ctx, repo, "a"); err != nil || got != d["a"] {
			t.Fatalf("HeadTag a = %s, %v; want %s", got, err, d["a"])
		}
		if err := c.DeleteTag(ctx, repo, "a"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.HeadTag(ctx, repo, "a"); !errors.Is(err, ErrNotFound) {
			t.Errorf("HeadTag of a deleted tag: %v, want ErrNotFound", err)
		}
		if got, err := c.HeadTag(ctx, repo, "a2"); err != nil || got != d["a"] {
			t.Errorf("HeadTag a2 after deleting tag a = %s, %v; want %s (untouched)", got, err, d["a"])
		}
		if err := c.DeleteDigest(ctx, repo, d["b"]); err != nil {
			t.Fatal(err)
		}
		if ok, err := c.Exists(ctx, repo, d["b"]); err != nil || ok {
			t.Errorf("Exists after DeleteDigest = %v, %v; want false", ok, err)
		}
		tags, err := c.ListTags(ctx, repo)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"a2"}, tags); diff != "" {
			t.Errorf("tags after deleting a and digest of b (-want +got):\n%s", diff)
		}
		if err := c.DeleteDigest(ctx, repo, d["b"]); !errors.Is(err, ErrNotFound) {
			t.Errorf("second DeleteDigest: %v, want ErrNotFound", err)
		}
	})
	t.Run("disabled", func(t *testing.T) {
		t.Parallel()
		reg := registrytest.StartDistribution(t, registrytest.WithDeleteDisabled())
		repo := reg.Repo("keep")
		d, err := seed.History(ctx, repo, []seed.Entry{{Tag: "a", Created: jan}})
		if err != nil {
			t.Fatal(err)
		}
		err = New(nil, WithDeleteScope()).DeleteDigest(ctx, repo, d["a"])
		if !IsUnsupported(err) || !strings.Contains(err.Error(), "UNSUPPORTED") || !strings.Contains(err.Error(), repo) {
			t.Errorf("DeleteDigest on a registry without delete: %v, want IsUnsupported naming UNSUPPORTED and the repository", err)
		}
		var te *transport.Error
		if !errors.As(err, &te) || te.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("error %v does not carry the 405 *transport.Error", err)
		}
	})
}

// TestDistributionRetry: one retry layer. A registry that always answers
// 503 sees 1+RetryMax attempts (not 15); a reset connection is retried.
func TestDistributionRetry(t *testing.T) {
	t.Parallel()
	reg := registrytest.StartDistribution(t)
	proxy := registrytest.NewProxy(t, reg)
	ctx := context.Background()
	if _, err := seed.History(ctx, reg.Repo("r"), []seed.Entry{{Tag: "a", Created: jan}}); err != nil {
		t.Fatal(err)
	}
	c := New(nil, fastRetry(4))

	proxy.Inject(registrytest.Fault{Match: registrytest.Is(http.MethodGet, registrytest.KindTags), Status: http.StatusServiceUnavailable})
	_, err := c.ListTags(ctx, proxy.Repo("r"))
	var te *transport.Error
	if !errors.As(err, &te) || te.StatusCode != http.StatusServiceUnavailable || !strings.Contains(err.Error(), "UNAVAILABLE") {
		t.Errorf("ListTags against 503: %v, want the registry's 503 UNAVAILABLE as *transport.Error", err)
	}
	if got := proxy.Count(http.MethodGet, registrytest.KindTags); got != 5 {
		t.Errorf("attempts = %d, want 1+4 retries", got)
	}

	proxy.ClearFaults()
	proxy.Reset()
	proxy.Inject(registrytest.Fault{Match: registrytest.Is(http.MethodGet, registrytest.KindManifestTag), Reset: true, Times: 2})
	l, err := c.List(ctx, proxy.Repo("r"), false, now)
	if err != nil || len(l.Tags) != 1 {
		t.Fatalf("List through 2 connection resets = %+v, %v; want it to recover", l, err)
	}
	if got := proxy.Count(http.MethodGet, registrytest.KindManifestTag); got != 3 {
		t.Errorf("manifest attempts = %d, want 3", got)
	}
}

// TestDistributionExpand: globs list the catalog once per host, literals
// stay as written, excludes apply.
func TestDistributionExpand(t *testing.T) {
	t.Parallel()
	reg := registrytest.StartDistribution(t)
	proxy := registrytest.NewProxy(t, reg)
	ctx := context.Background()
	for _, name := range []string{"team/a", "team/b", "team/sub/c", "other/d"} {
		if _, err := seed.History(ctx, reg.Repo(name), []seed.Entry{{Tag: "v1", Created: jan}}); err != nil {
			t.Fatal(err)
		}
	}
	h := proxy.Host
	cfg := retention.Config{Policies: []retention.Policy{
		{Name: "team", Repositories: []string{h + "/team/*", h + "/team/**"}, Exclude: []string{h + "/team/b"}, Keep: []retention.KeepRule{{Newest: 1}}},
		{Name: "lit", Repositories: []string{h + "/not/listed", h + "/team/a"}, Keep: []retention.KeepRule{{Newest: 1}}},
	}}
	rules, err := cfg.Compile()
	if err != nil {
		t.Fatal(err)
	}
	got, err := New(nil).Expand(ctx, rules)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{h + "/not/listed", h + "/team/a", h + "/team/sub/c"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Expand (-want +got):\n%s", diff)
	}
	if n := proxy.Count(http.MethodGet, registrytest.KindCatalog); n != 1 {
		t.Errorf("catalog pages = %d, want 1 (once per host)", n)
	}
}
