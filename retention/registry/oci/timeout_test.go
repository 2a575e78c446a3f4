package oci

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/internal/seed"
)

// TestHangingRegistry: a registry that accepts a request and never
// answers fails the listing after the response timeout and its retries,
// instead of stalling the job.
func TestHangingRegistry(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			return
		}
		<-release
	}))
	defer srv.Close()
	defer close(release)
	c := newClient(t, nil, WithResponseTimeout(200*time.Millisecond), WithRetry(1, 10*time.Millisecond, 10*time.Millisecond, time.Second))
	// The deadline only ends the test quickly if the timeout is broken.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	start := time.Now()
	_, err := c.ListTags(ctx, strings.TrimPrefix(srv.URL, "http://")+"/r")
	if err == nil {
		t.Fatal("ListTags succeeded against a registry that never answers")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("ListTags took %s, want about two response timeouts", d)
	}
	if !strings.Contains(err.Error(), "/r") {
		t.Errorf("error %q does not name the repository", err)
	}
}

// TestDistributionStalledBody: a tags/list body that stops halfway fails
// its request after the idle timeout; the request is retried, then the
// repository fails naming the stall, and another repository of the same
// registry is listed as usual.
func TestDistributionStalledBody(t *testing.T) {
	t.Parallel()
	reg := registrytest.StartDistribution(t)
	proxy := registrytest.NewProxy(t, reg)
	ctx := context.Background()
	for _, name := range []string{"stuck", "fine"} {
		if _, err := seed.History(ctx, reg.Repo(name), []seed.Entry{{Tag: "a", Created: jan}, {Tag: "b", Created: feb}}); err != nil {
			t.Fatal(err)
		}
	}
	proxy.Inject(registrytest.Fault{
		Match: func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/stuck/tags/list") },
		Body:  `{"name":"stuck","tags":["a","b","c","d","e","f"]}`,
		Stall: time.Minute,
	})
	c := newClient(t, nil, WithBodyIdleTimeout(300*time.Millisecond), fastRetry(1))
	// The deadline only ends the test quickly if the idle timeout is broken.
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, err := c.List(ctx, proxy.Repo("stuck"), true, now)
	if !errors.Is(err, ErrBodyStalled) || !strings.Contains(err.Error(), proxy.Repo("stuck")) {
		t.Fatalf("listing a repository whose tags/list body stalls: %v, want ErrBodyStalled naming the repository", err)
	}
	if got := proxy.Count(http.MethodGet, registrytest.KindTags); got != 2 {
		t.Errorf("tags/list requests = %d, want 2 (the stalled one retried once)", got)
	}
	l, err := c.List(ctx, proxy.Repo("fine"), true, now)
	if err != nil || len(l.Tags) != 2 {
		t.Errorf("the other repository: %d tags, %v; want 2 tags", len(l.Tags), err)
	}
}
