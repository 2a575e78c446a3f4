package registry

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
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
	c := New(nil, WithResponseTimeout(200*time.Millisecond), WithRetry(1, 10*time.Millisecond, 10*time.Millisecond, time.Second))
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
