package registrytest_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/internal/seed"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path string
		want registrytest.Kind
	}{
		{"/v2/", registrytest.KindPing},
		{"/v2/_catalog", registrytest.KindCatalog},
		{"/v2/a/b/tags/list", registrytest.KindTags},
		{"/v2/a/manifests/v1.0", registrytest.KindManifestTag},
		{"/v2/a/manifests/sha256:abc", registrytest.KindManifestDigest},
		{"/v2/a/blobs/sha256:abc", registrytest.KindBlob},
		{"/v2/a/blobs/uploads/", registrytest.KindUpload},
		{"/v2/a/blobs/uploads/123", registrytest.KindUpload},
		{"/v2/a/referrers/sha256:abc", registrytest.KindReferrers},
		{"/token", registrytest.KindToken},
		{"/auth/token", registrytest.KindToken},
		{"/healthz", registrytest.KindOther},
		// A repository named like an endpoint is classified by the last
		// segment.
		{"/v2/blobs/manifests/latest", registrytest.KindManifestTag},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodGet, tt.path, nil)
		if got := registrytest.Classify(r); got != tt.want {
			t.Errorf("Classify(%s) = %s, want %s", tt.path, got, tt.want)
		}
	}
}

func TestProxyCounts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := registrytest.NewProxy(t, registrytest.InMemory(t, false))
	img, err := seed.Image(created)
	if err != nil {
		t.Fatal(err)
	}
	dig, err := seed.Push(ctx, p.Repo("app")+":v1", img)
	if err != nil {
		t.Fatal(err)
	}
	if n := p.Count(http.MethodPut, registrytest.KindManifestTag); n != 1 {
		t.Errorf("manifest PUTs = %d, want 1; requests: %v", n, p.Requests())
	}
	p.Reset()

	list(t, p.Repo("app"))
	r, err := name.NewDigest(p.Repo("app")+"@"+dig, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := remote.Head(r); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"GET ping": 2, "GET tags": 1, "HEAD manifest-by-digest": 1}
	if diff := cmp.Diff(want, p.Counts()); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	reqs := p.Requests()
	if len(reqs) != 4 || reqs[1].Path != "/v2/app/tags/list" || reqs[1].Status != http.StatusOK {
		t.Errorf("requests = %+v", reqs)
	}
}

func TestProxyFaults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reg := registrytest.InMemory(t, false)
	p := registrytest.NewProxy(t, reg)
	img, err := seed.Image(created)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Push(ctx, p.Repo("app")+":v1", img); err != nil {
		t.Fatal(err)
	}
	repo, err := name.NewRepository(p.Repo("app"), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	// No retries, so each fault shows as the client's error.
	noRetry := remote.WithRetryBackoff(remote.Backoff{Steps: 1})

	t.Run("status", func(t *testing.T) {
		p.Inject(registrytest.Fault{Match: registrytest.Is(http.MethodGet, registrytest.KindTags), Times: 1, Status: http.StatusTooManyRequests, RetryAfter: "1"})
		_, err := remote.List(repo, noRetry)
		var terr *transport.Error
		if !errors.As(err, &terr) || terr.StatusCode != http.StatusTooManyRequests || terr.Errors[0].Code != transport.TooManyRequestsErrorCode {
			t.Fatalf("err = %v, want 429 TOOMANYREQUESTS", err)
		}
		// Times: 1, so the next request goes through.
		if _, err := remote.List(repo, noRetry); err != nil {
			t.Errorf("second list: %v", err)
		}

		p.Inject(registrytest.Fault{Times: 1, Status: http.StatusServiceUnavailable, RetryAfter: "7"})
		resp, err := http.Get(p.URL + "/v2/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "7" {
			t.Errorf("got %d, Retry-After %q; want 503, 7", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	})

	t.Run("reset", func(t *testing.T) {
		// Every time: net/http silently retries an idempotent request
		// whose reused connection was reset before any answer.
		p.Inject(registrytest.Fault{Match: registrytest.Is("", registrytest.KindTags), Reset: true})
		p.Reset()
		if _, err := remote.List(repo, noRetry); err == nil {
			t.Fatal("list through a reset connection: no error")
		}
		if n := p.Count(http.MethodGet, registrytest.KindTags); n < 1 {
			t.Errorf("tags requests = %d, want at least 1", n)
		}
		p.ClearFaults()
		if _, err := remote.List(repo, noRetry); err != nil {
			t.Errorf("list after the reset: %v", err)
		}
	})

	t.Run("header", func(t *testing.T) {
		// The target answers, with one header replaced.
		p.Inject(registrytest.Fault{Match: registrytest.Is(http.MethodHead, registrytest.KindManifestTag), Times: 1, Header: map[string]string{"Docker-Content-Digest": "sha256:bad"}})
		req, err := http.NewRequest(http.MethodHead, p.URL+"/v2/app/manifests/v1", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Docker-Content-Digest") != "sha256:bad" || resp.Header.Get("Content-Type") == "" {
			t.Errorf("got %d, Docker-Content-Digest %q, Content-Type %q; want the target's 200 with the digest replaced", resp.StatusCode, resp.Header.Get("Docker-Content-Digest"), resp.Header.Get("Content-Type"))
		}
	})

	t.Run("before", func(t *testing.T) {
		// Move v1 to a new image when the client lists tags, as a
		// concurrent push would.
		moved, err := seed.Image(created)
		if err != nil {
			t.Fatal(err)
		}
		var newDigest string
		p.Before(func(r *http.Request) {
			if registrytest.Classify(r) != registrytest.KindTags {
				return
			}
			p.Before(nil)
			d, err := seed.Push(r.Context(), reg.Repo("app")+":v1", moved)
			if err != nil {
				t.Errorf("moving v1: %v", err)
			}
			newDigest = d
		})
		if _, err := remote.List(repo); err != nil {
			t.Fatal(err)
		}
		d, err := remote.Head(repo.Tag("v1"))
		if err != nil {
			t.Fatal(err)
		}
		if d.Digest.String() != newDigest {
			t.Errorf("v1 = %s, want the moved %s", d.Digest, newDigest)
		}
	})
}

// TestProxyDistribution checks that uploads and pagination, whose URLs
// Distribution sends back, stay on the proxy.
func TestProxyDistribution(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := registrytest.NewProxy(t, registrytest.StartDistribution(t, registrytest.WithMaxTags(2)))
	entries := []seed.Entry{{Tag: "a", Created: created}}
	for _, tag := range []string{"b", "c", "d", "e"} {
		entries = append(entries, seed.Entry{Tag: tag, Kind: seed.KindAlias, Of: "a"})
	}
	if _, err := seed.History(ctx, p.Repo("app"), entries); err != nil {
		t.Fatal(err)
	}
	if n := p.Count(http.MethodPut, registrytest.KindUpload); n != 2 {
		t.Errorf("upload PUTs through the proxy = %d, want 2 (layer and config)", n)
	}
	p.Reset()
	r, err := name.NewRepository(p.Repo("app"), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	tags, err := remote.List(r, remote.WithPageSize(100))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "b", "c", "d", "e"}, tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	if n := p.Count(http.MethodGet, registrytest.KindTags); n != 3 {
		t.Errorf("tags pages through the proxy = %d, want 3", n)
	}
}
