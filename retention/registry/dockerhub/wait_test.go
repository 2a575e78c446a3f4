package dockerhub_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/registry/dockerhub"
	"github.com/regprune/regprune/retention/registry/oci"
)

// waitClient is a Hub client whose OCI side retries (3 times, so that a
// retried DELETE would show) and whose waits are capped at maxWait (0:
// the default).
func waitClient(t *testing.T, h *registrytest.Hub, maxWait time.Duration) *dockerhub.Client {
	t.Helper()
	oci, err := oci.New([]retention.Registry{{Host: h.Host, Insecure: true}}, oci.WithRetry(3, time.Millisecond, 5*time.Millisecond, time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	return dockerhub.New(oci, dockerhub.Options{APIURL: h.APIURL, Username: "acme", Secret: "dckr_pat_test", MinWait: time.Millisecond, MaxWait: maxWait})
}

// TestHubRateLimitWaits: a wait the Hub API asks for is waited up to the
// cap (60 s, or Options.MaxWait); past it the listing fails at once,
// after one request, with ErrRateLimited and a message naming the wait
// asked for and the header that asked.
func TestHubRateLimitWaits(t *testing.T) {
	h := registrytest.NewHub(t)
	repo := h.Repo("acme", "app")
	registrytest.PushImage(t, repo+":v1")
	for _, tt := range []struct {
		name     string
		fault    registrytest.HubFault
		xRetryIn time.Duration // X-Retry-After this far from the request
		maxWait  time.Duration
		wantErr  string // a regular expression; "": the wait is waited and the listing succeeds
		waited   time.Duration
	}{
		{name: "Retry-After: 86400", fault: registrytest.HubFault{Status: 429, RetryAfter: 86400},
			wantErr: `asked to wait 24h0m0s \(Retry-After on HTTP 429\), more than the 60s cap`},
		{name: "X-Retry-After in 2 h", fault: registrytest.HubFault{Status: 429}, xRetryIn: 2 * time.Hour,
			wantErr: `asked to wait (2h0m0s|1h59m59s) \(X-Retry-After on HTTP 429\), more than the 60s cap`},
		{name: "Retry-After: 3 past a MaxWait of 2 s", fault: registrytest.HubFault{Status: 429, RetryAfter: 3}, maxWait: 2 * time.Second,
			wantErr: `asked to wait 3s \(Retry-After on HTTP 429\), more than the 2s cap`},
		{name: "Retry-After: 1 is waited", fault: registrytest.HubFault{Status: 429, RetryAfter: 1}, waited: time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := waitClient(t, h, tt.maxWait)
			before := len(h.Requests())
			f := tt.fault
			f.PathContains = "/tags"
			if tt.xRetryIn > 0 {
				f.XRetryAfter = time.Now().Add(tt.xRetryIn)
			}
			h.FailNext(f)
			// A client that waited as asked would stop here, not in a day.
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			start := time.Now()
			_, err := c.ListTags(ctx, repo)
			elapsed := time.Since(start)
			asked := 0
			for _, r := range h.Requests()[before:] {
				if r.Side == "api" && strings.Contains(r.Path, "/tags") && r.Status == 429 {
					asked++
				}
			}
			if asked != 1 {
				t.Errorf("%d answers 429 to the tag listing, want 1", asked)
			}
			_, limited := c.Waited()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ListTags: %v, want the wait waited and the tags listed", err)
				}
				if limited != tt.waited || elapsed < tt.waited-100*time.Millisecond {
					t.Errorf("waited %s (counted %s), want %s", elapsed, limited, tt.waited)
				}
				return
			}
			if !errors.Is(err, retention.ErrRateLimited) || err == nil || !regexp.MustCompile(tt.wantErr).MatchString(err.Error()) {
				t.Errorf("ListTags: %v\nwant ErrRateLimited saying %q", err, tt.wantErr)
			}
			if elapsed > 5*time.Second || limited != 0 {
				t.Errorf("failed after %s, having waited %s; want at once", elapsed, limited)
			}
		})
	}
}

// TestHubDeleteSentOnce: a tag DELETE through the Hub API and a digest
// DELETE over the OCI API reach Docker Hub once, whatever it answers:
// the error goes back to the executor, whose gate decides whether to
// try again.
func TestHubDeleteSentOnce(t *testing.T) {
	ctx := context.Background()
	h := registrytest.NewHub(t)
	repo := h.Repo("acme", "app")
	registrytest.PushImage(t, repo+":v1")
	registrytest.PushImage(t, repo+":v2")
	untagged := registrytest.PushUntagged(t, repo)
	c := waitClient(t, h, 0)
	for _, tt := range []struct {
		name  string
		side  string
		fault registrytest.HubFault
		call  func() error
		is    error
	}{
		{name: "tag DELETE, 500", side: "api", fault: registrytest.HubFault{Status: 500},
			call: func() error { return c.DeleteTag(ctx, repo, "v1") }},
		{name: "tag DELETE, 503", side: "api", fault: registrytest.HubFault{Status: 503},
			call: func() error { return c.DeleteTag(ctx, repo, "v1") }},
		{name: "tag DELETE, 429 Retry-After: 1", side: "api", fault: registrytest.HubFault{Status: 429, RetryAfter: 1},
			call: func() error { return c.DeleteTag(ctx, repo, "v1") }, is: retention.ErrRateLimited},
		{name: "digest DELETE, 500", side: "registry", fault: registrytest.HubFault{Status: 500},
			call: func() error { return c.DeleteDigest(ctx, repo, untagged, nil) }},
		{name: "digest DELETE, 429 Retry-After: 1", side: "registry", fault: registrytest.HubFault{Status: 429, RetryAfter: 1},
			call: func() error { return c.DeleteDigest(ctx, repo, untagged, nil) }, is: retention.ErrRateLimited},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := len(h.Requests())
			f := tt.fault
			f.Side, f.Method = tt.side, "DELETE"
			h.FailNext(f)
			err := tt.call()
			if err == nil || tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("%v, want the fault's error (%v)", err, tt.is)
			}
			sent := 0
			for _, r := range h.Requests()[before:] {
				if r.Side == tt.side && r.Method == "DELETE" {
					sent++
				}
			}
			if sent != 1 {
				t.Errorf("DELETE sent %d times, want once", sent)
			}
		})
	}
	if tags := h.Tags("acme", "app"); len(tags) != 2 {
		t.Errorf("tags after the failed deletions: %v, want v1 and v2", tags)
	}
}
