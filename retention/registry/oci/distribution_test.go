package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/planner"
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
	c := newClient(t, nil)

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
	// Seeded through the proxy: the signature of the gone subject names
	// the repository as it is listed.
	_, digests := seedRepo(t, strings.TrimSuffix(proxy.Repo("x"), "/x"))
	if _, err := seed.History(context.Background(), reg.Repo("second"), []seed.Entry{
		{Tag: "a", Created: jan}, {Tag: "b", Created: feb},
	}); err != nil {
		t.Fatal(err)
	}
	for _, needTime := range []bool{true, false} {
		t.Run(fmt.Sprintf("needTime=%v", needTime), func(t *testing.T) {
			proxy.Reset()
			c := newClient(t, nil)
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
			wantBlobs, wantChildren := 1, 0 // the payload of the gone subject's signature
			if needTime {
				wantBlobs, wantChildren = 1+4+2, 1 // see TestListInMemory; second: 2 images
			}
			want := map[string]int{
				"GET " + string(registrytest.KindPing):            2, // one per repository
				"GET " + string(registrytest.KindTags):            3, // team/app twice, second once
				"GET " + string(registrytest.KindManifestTag):     len(l.Tags) + len(l2.Tags),
				"HEAD " + string(registrytest.KindManifestDigest): 2, // unknown subjects
			}
			want["GET "+string(registrytest.KindBlob)] = wantBlobs
			if wantChildren > 0 {
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
		c := newClient(t, nil, WithDeleteScope())
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
		if err := c.DeleteDigest(ctx, repo, d["b"], nil); err != nil {
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
		if err := c.DeleteDigest(ctx, repo, d["b"], nil); !errors.Is(err, ErrNotFound) {
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
		err = newClient(t, nil, WithDeleteScope()).DeleteDigest(ctx, repo, d["a"], nil)
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
	proxy := oneImage(t)
	ctx := context.Background()
	c := newClient(t, nil, fastRetry(4))

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
	got, err := planner.Expand(ctx, newClient(t, nil), rules)
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

// TestDistributionRateLimited: a registry that keeps answering 429 after
// every retry, and one that asks for a longer wait than the client
// allows, both fail with ErrRateLimited, naming the repository and
// keeping the registry's TOOMANYREQUESTS where it was sent.
func TestDistributionRateLimited(t *testing.T) {
	t.Parallel()
	proxy := oneImage(t)
	ctx := context.Background()
	repo := proxy.Repo("r")

	proxy.Inject(registrytest.Fault{Match: registrytest.Is(http.MethodGet, registrytest.KindManifestTag), Status: http.StatusTooManyRequests})
	_, err := newClient(t, nil, fastRetry(2)).List(ctx, repo, false, now)
	var te *transport.Error
	if !errors.Is(err, ErrRateLimited) || !errors.As(err, &te) || te.StatusCode != http.StatusTooManyRequests ||
		!strings.Contains(err.Error(), "TOOMANYREQUESTS") || !strings.Contains(err.Error(), repo) {
		t.Errorf("List against a steady 429: %v, want ErrRateLimited with the 429 TOOMANYREQUESTS *transport.Error, naming %s", err, repo)
	}
	if got := proxy.Count(http.MethodGet, registrytest.KindManifestTag); got != 3 {
		t.Errorf("manifest attempts = %d, want 1+2 retries", got)
	}

	proxy.ClearFaults()
	proxy.Inject(registrytest.Fault{Match: registrytest.Is(http.MethodGet, registrytest.KindBlob), Status: http.StatusTooManyRequests, RetryAfter: "3600"})
	_, err = newClient(t, nil, fastRetry(2)).List(ctx, repo, true, now)
	if !errors.Is(err, ErrRateLimited) || !strings.Contains(err.Error(), repo) {
		t.Errorf("List against Retry-After 3600: %v, want ErrRateLimited naming %s", err, repo)
	}
}

// TestDistributionCreatedFallsThrough: an implausible annotation (1970)
// falls through to the config; an index takes the time of its first
// child in order that has a plausible one, skipping attestation
// manifests (BuildKit's unknown/unknown children) without fetching them;
// a child whose config blob is gone is passed over, and one whose config
// cannot be read fails the listing.
func TestDistributionCreatedFallsThrough(t *testing.T) {
	t.Parallel()
	reg := registrytest.StartDistribution(t)
	proxy := registrytest.NewProxy(t, reg)
	ctx := context.Background()
	repo := reg.Repo("ft")
	d, err := seed.History(ctx, repo, []seed.Entry{
		{Tag: "epoch-annotated", Created: feb, Options: []seed.Option{seed.WithCreatedAnnotation(zero.Format(time.RFC3339))}},
		{Tag: "epoch-index", Kind: seed.KindIndex, Created: mar, Options: []seed.Option{seed.WithCreatedAnnotation(zero.Format(time.RFC3339))}},
		// Reproducible children and their attestations: nothing plausible,
		// and the attestations are not worth a request.
		{Tag: "repro-index", Kind: seed.KindIndex, Created: zero, Options: []seed.Option{seed.WithAttestations()}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// An index whose first child is an attestation with a plausible time:
	// the image's time wins.
	img, err := seed.Image(apr, seed.WithPlatform("linux/amd64"))
	if err != nil {
		t.Fatal(err)
	}
	imgDesc, err := seed.Descriptor(img)
	if err != nil {
		t.Fatal(err)
	}
	att, err := seed.Image(jan, seed.WithPlatform("unknown/unknown"))
	if err != nil {
		t.Fatal(err)
	}
	idx := mutate.IndexMediaType(mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: att, Descriptor: v1.Descriptor{
			Platform:    &v1.Platform{OS: "unknown", Architecture: "unknown"},
			Annotations: map[string]string{seed.AnnotationReferenceType: seed.ReferenceTypeAttest, seed.AnnotationReferenceDig: imgDesc.Digest.String()},
		}},
		mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
	), types.OCIImageIndex)
	if d["attested-first"], err = seed.Push(ctx, repo+":attested-first", idx); err != nil {
		t.Fatal(err)
	}

	c := newClient(t, nil)
	l, err := c.List(ctx, proxy.Repo("ft"), true, now)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, tag := range []string{"epoch-annotated", "epoch-index", "repro-index", "attested-first"} {
		m := l.Manifests[d[tag]]
		got[tag] = m.Created.Format(time.DateOnly) + " " + m.CreatedSource
		if m.Created.IsZero() {
			got[tag] = "unknown"
		}
	}
	epochIndex := l.Manifests[d["epoch-index"]]
	want := map[string]string{
		"epoch-annotated": feb.Format(time.DateOnly) + " config",
		"epoch-index":     mar.Format(time.DateOnly) + " child " + epochIndex.Children[0] + " config",
		"repro-index":     "unknown",
		"attested-first":  apr.Format(time.DateOnly) + " child " + imgDesc.Digest.String() + " config",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("creation times (-want +got):\n%s", diff)
	}
	// Child manifests: epoch-index 1, repro-index its 2 images (not the
	// attestations), attested-first its image only.
	if got := proxy.Count(http.MethodGet, registrytest.KindManifestDigest); got != 4 {
		t.Errorf("child manifest GETs = %d, want 4 (attestations are never fetched for time)", got)
	}

	// The first child's config is gone (404): the second child decides.
	// The first child's config cannot be read (500): the listing fails.
	first, err := v1.NewHash(epochIndex.Children[0])
	if err != nil {
		t.Fatal(err)
	}
	cfgDigest := configOf(t, reg, "ft", first.String())
	for _, status := range []int{http.StatusNotFound, http.StatusInternalServerError} {
		proxy.ClearFaults()
		proxy.Inject(registrytest.Fault{Match: func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/blobs/"+cfgDigest) }, Status: status})
		l, err := newClient(t, nil, fastRetry(0)).List(ctx, proxy.Repo("ft"), true, now)
		if status == http.StatusNotFound {
			if err != nil {
				t.Fatalf("first child's config 404: %v", err)
			}
			m := l.Manifests[d["epoch-index"]]
			if wantSrc := "child " + m.Children[1] + " config"; !m.Created.Equal(mar) || m.CreatedSource != wantSrc {
				t.Errorf("first child's config 404: %s from %q, want %s from %q", m.Created, m.CreatedSource, mar, wantSrc)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), proxy.Repo("ft")) {
			t.Errorf("first child's config 500: %v, want the listing to fail naming the repository", err)
		}
	}
}

// configOf returns the config digest of a manifest, read straight from
// the registry.
func configOf(t *testing.T, reg *registrytest.Registry, repo, digest string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/v2/%s/manifests/%s", reg.URL, repo, digest), nil)
	req.Header.Set("Accept", strings.Join(manifestAccept, ","))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m struct {
		Config struct {
			Digest string `json:"digest"`
		} `json:"config"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m.Config.Digest
}

// TestExpandFailedHost: a host whose catalog cannot be listed is tried
// once, and every pattern on it is reported (each names its pattern), so
// no policy's repositories vanish from the plan without a word; the
// other hosts are still expanded.
func TestExpandFailedHost(t *testing.T) {
	t.Parallel()
	reg := registrytest.StartDistribution(t)
	ctx := context.Background()
	if _, err := seed.History(ctx, reg.Repo("team/a"), []seed.Entry{{Tag: "v1", Created: jan}}); err != nil {
		t.Fatal(err)
	}
	const gone = "127.0.0.1:1"
	cfg := retention.Config{Policies: []retention.Policy{
		{Name: "one", Repositories: []string{gone + "/a/*", reg.Repo("team/*")}, Keep: []retention.KeepRule{{Newest: 1}}},
		{Name: "two", Repositories: []string{gone + "/b/**"}, Keep: []retention.KeepRule{{Newest: 1}}},
	}}
	rules, err := cfg.Compile()
	if err != nil {
		t.Fatal(err)
	}
	cnt := newCounter()
	got, err := planner.Expand(ctx, newClient(t, nil, WithBaseTransport(cnt), fastRetry(0)), rules)
	if diff := cmp.Diff([]string{reg.Repo("team/a")}, got); diff != "" {
		t.Errorf("Expand (-want +got):\n%s", diff)
	}
	var patterns []string
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			var ee *planner.ExpandError
			if errors.As(e, &ee) && errors.Is(e, ErrUnreachable) {
				patterns = append(patterns, ee.Pattern)
			}
		}
	}
	if diff := cmp.Diff([]string{gone + "/a/*", gone + "/b/**"}, patterns); diff != "" {
		t.Errorf("failed patterns (-want +got):\n%s\nerror: %v", diff, err)
	}
	if n := cnt.get("GET ping"); n != 2 {
		t.Errorf("pings = %d, want 2 (each host once; the failed one is not tried again)", n)
	}
}

// oneImage starts Distribution with one image tagged r:a, behind a proxy.
func oneImage(t *testing.T) *registrytest.Proxy {
	t.Helper()
	reg := registrytest.StartDistribution(t)
	if _, err := seed.History(context.Background(), reg.Repo("r"), []seed.Entry{{Tag: "a", Created: jan}}); err != nil {
		t.Fatal(err)
	}
	return registrytest.NewProxy(t, reg)
}
