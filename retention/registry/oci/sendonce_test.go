package oci

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/regprune/regprune/internal/registrytest"
)

// TestDeleteAndPutSentOnce: a DELETE (of a tag or a digest) and a
// manifest PUT (GHCR's placeholder) reach the registry once, whatever
// the registry answers: the error goes back to the caller, whose gate
// decides whether to try again, while a GET answered the same way is
// retried. The client allows 3 retries, so a retried request would be
// counted up to 4 times at the proxy.
func TestDeleteAndPutSentOnce(t *testing.T) {
	t.Parallel()
	reg := registrytest.InMemory(t, false)
	proxy := registrytest.NewProxy(t, reg)
	repo := proxy.Repo("once")
	d := registrytest.PushImage(t, reg.Repo("once")+":v1")
	c := newClient(t, nil, WithRetry(3, time.Millisecond, 5*time.Millisecond, 5*time.Second))
	ctx := context.Background()
	ops := []struct {
		name   string
		method string
		kind   registrytest.Kind
		call   func() error
	}{
		{"DeleteDigest", http.MethodDelete, registrytest.KindManifestDigest, func() error { return c.DeleteDigest(ctx, repo, d, nil) }},
		{"DeleteTag", http.MethodDelete, registrytest.KindManifestTag, func() error { return c.DeleteTag(ctx, repo, "v1") }},
		{"PutManifest", http.MethodPut, registrytest.KindManifestTag, func() error {
			_, err := c.PutManifest(ctx, repo, "v1", "application/vnd.oci.image.index.v1+json", []byte(`{"schemaVersion":2,"manifests":[]}`))
			return err
		}},
		{"HeadTag (a read, retried)", http.MethodHead, registrytest.KindManifestTag, func() error { _, err := c.HeadTag(ctx, repo, "v1"); return err }},
	}
	faults := []struct {
		name  string
		fault registrytest.Fault
		is    error
	}{
		{"500", registrytest.Fault{Status: http.StatusInternalServerError}, nil},
		{"503", registrytest.Fault{Status: http.StatusServiceUnavailable}, nil},
		{"429 with Retry-After: 1", registrytest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "1"}, ErrRateLimited},
		{"a reset connection", registrytest.Fault{Reset: true}, nil},
	}
	for _, op := range ops {
		for _, f := range faults {
			t.Run(op.name+"/"+f.name, func(t *testing.T) {
				proxy.ClearFaults()
				proxy.Reset()
				fault := f.fault
				fault.Match = registrytest.Is(op.method, op.kind)
				if op.method == http.MethodHead {
					fault.Times = 1 // then the registry answers the retry
				}
				proxy.Inject(fault)
				err := op.call()
				got := proxy.Count(op.method, op.kind)
				if op.method == http.MethodHead {
					if err != nil || got != 2 {
						t.Errorf("%s: %v after %d requests, want success on the retry (2 requests)", op.name, err, got)
					}
					return
				}
				if err == nil {
					t.Errorf("%s succeeded, want the fault's error", op.name)
				}
				if f.is != nil && !errors.Is(err, f.is) {
					t.Errorf("%s: %v, want %v", op.name, err, f.is)
				}
				if got != 1 {
					t.Errorf("%s sent %d times, want once", op.name, got)
				}
			})
		}
	}
	proxy.ClearFaults()
	if _, err := c.HeadTag(ctx, repo, "v1"); err != nil {
		t.Errorf("v1 after the failed deletions: %v, want it still there", err)
	}
}
