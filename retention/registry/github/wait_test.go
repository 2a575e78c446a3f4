package github_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/registry/github"
	"github.com/regprune/regprune/retention/registry/oci"
)

// waitClient is a client whose clock is still at now (GitHub's reset
// times are read against it), whose OCI side retries (3 times, so a
// retried PUT would show), and whose waits are capped at maxWait (0: the
// default).
func waitClient(t *testing.T, g *registrytest.GHCR, now time.Time, maxWait time.Duration) *github.Client {
	t.Helper()
	oci, err := oci.New([]retention.Registry{{Host: g.Host, Username: "octo", Password: token}}, oci.WithRetry(3, time.Millisecond, 5*time.Millisecond, time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	c, err := github.New(oci, github.Options{Host: g.Host, APIURL: g.APIURL, Token: token, MinWait: time.Millisecond, MaxWait: maxWait,
		Now: func() time.Time { return now }, Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRateLimitWaits: a wait GitHub asks for is waited up to the cap
// (60 s, or Options.MaxWait); past it the listing fails at once, after
// one request, with ErrRateLimited and a message naming the wait asked
// for and the header that asked.
func TestRateLimitWaits(t *testing.T) {
	g := emulator(t)
	repo := g.Repo("acme", "app")
	registrytest.PushImage(t, repo+":v1", auth)
	now := time.Now().Truncate(time.Second)
	for _, tt := range []struct {
		name    string
		fault   registrytest.GHCRFault
		maxWait time.Duration
		wantErr string // "": the wait is waited and the listing succeeds
		waited  time.Duration
	}{
		{name: "429, Retry-After: 86400", fault: registrytest.GHCRFault{Status: 429, RetryAfter: 86400},
			wantErr: "asked to wait 24h0m0s (Retry-After on HTTP 429), more than the 60s cap"},
		{name: "secondary 403, Retry-After: 86400", fault: registrytest.GHCRFault{Status: 403, Secondary: true, RetryAfter: 86400},
			wantErr: "asked to wait 24h0m0s (Retry-After on HTTP 403), more than the 60s cap"},
		{name: "primary 429, x-ratelimit-reset in 2 h", fault: registrytest.GHCRFault{Status: 429, RemainingZero: true, ResetAt: now.Add(2 * time.Hour)},
			wantErr: "asked to wait 2h0m0s (X-RateLimit-Reset on HTTP 429), more than the 60s cap"},
		{name: "primary 403, x-ratelimit-reset in 61 s", fault: registrytest.GHCRFault{Status: 403, RemainingZero: true, ResetAt: now.Add(61 * time.Second)},
			wantErr: "asked to wait 1m1s (X-RateLimit-Reset on HTTP 403), more than the 60s cap"},
		{name: "Retry-After: 3 past a MaxWait of 2 s", fault: registrytest.GHCRFault{Status: 429, RetryAfter: 3}, maxWait: 2 * time.Second,
			wantErr: "asked to wait 3s (Retry-After on HTTP 429), more than the 2s cap"},
		{name: "429, Retry-After: 1 is waited", fault: registrytest.GHCRFault{Status: 429, RetryAfter: 1}, waited: time.Second},
		{name: "primary 429, reset in 1 s is waited", fault: registrytest.GHCRFault{Status: 429, RemainingZero: true, ResetAt: now.Add(time.Second)}, waited: time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g.ResetRequests()
			c := waitClient(t, g, now, tt.maxWait)
			f := tt.fault
			f.PathContains = "/versions"
			g.FailNext(f)
			// A client that waited as asked would stop here, not in a day.
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			start := time.Now()
			_, err := c.List(ctx, repo, false, now)
			elapsed := time.Since(start)
			var asked int
			for _, r := range g.Requests() {
				if r.Side == "rest" && strings.HasSuffix(r.Path, "/versions") && r.Status == tt.fault.Status {
					asked++
				}
			}
			if asked != 1 {
				t.Errorf("%d answers %d to the versions listing, want 1", asked, tt.fault.Status)
			}
			_, limited := c.Waited()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("List: %v, want the wait waited and the listing read", err)
				}
				if limited != tt.waited || elapsed < tt.waited-100*time.Millisecond {
					t.Errorf("waited %s (counted %s), want %s", elapsed, limited, tt.waited)
				}
				return
			}
			if !errors.Is(err, retention.ErrRateLimited) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("List: %v\nwant ErrRateLimited saying %q", err, tt.wantErr)
			}
			if elapsed > 5*time.Second || limited != 0 {
				t.Errorf("failed after %s, having waited %s; want at once", elapsed, limited)
			}
		})
	}
}

// TestDeleteSentOnce: a version DELETE, and the placeholder PUT that
// untags, reach GitHub once, whatever it answers (a 5xx, a 429, a
// secondary limit): the error goes back to the executor, whose gate
// decides whether to try again. A rate limit reads as one
// (ErrRateLimited), never as a token that may not delete.
func TestDeleteSentOnce(t *testing.T) {
	ctx := context.Background()
	g := emulator(t)
	repo := g.Repo("acme", "app")
	old := registrytest.PushImage(t, repo+":old", auth)
	registrytest.PushImage(t, repo+":v1", auth)
	now := time.Now()
	c := waitClient(t, g, now, 0)
	if _, err := c.List(ctx, repo, false, now); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		fault   registrytest.GHCRFault
		call    func() error
		is      error
		side    string
		method  string
		pathHas string
	}{
		{name: "version DELETE, 500", fault: registrytest.GHCRFault{Status: 500},
			call: func() error { return c.DeleteDigest(ctx, repo, old, nil) }, side: "rest", method: "DELETE", pathHas: "/versions/"},
		{name: "version DELETE, 502", fault: registrytest.GHCRFault{Status: 502},
			call: func() error { return c.DeleteDigest(ctx, repo, old, nil) }, side: "rest", method: "DELETE", pathHas: "/versions/"},
		{name: "version DELETE, 429 Retry-After: 1", fault: registrytest.GHCRFault{Status: 429, RetryAfter: 1},
			call: func() error { return c.DeleteDigest(ctx, repo, old, nil) }, is: retention.ErrRateLimited, side: "rest", method: "DELETE", pathHas: "/versions/"},
		{name: "version DELETE, secondary 403", fault: registrytest.GHCRFault{Status: 403, Secondary: true, RetryAfter: 1},
			call: func() error { return c.DeleteDigest(ctx, repo, old, nil) }, is: retention.ErrRateLimited, side: "rest", method: "DELETE", pathHas: "/versions/"},
		{name: "placeholder PUT, 500", fault: registrytest.GHCRFault{Status: 500},
			call: func() error { return c.DeleteTag(ctx, repo, "v1") }, side: "oci", method: "PUT", pathHas: "/manifests/"},
		{name: "placeholder PUT, 429", fault: registrytest.GHCRFault{Status: 429},
			call: func() error { return c.DeleteTag(ctx, repo, "v1") }, is: retention.ErrRateLimited, side: "oci", method: "PUT", pathHas: "/manifests/"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g.ResetRequests()
			f := tt.fault
			f.Side, f.Method, f.PathContains = tt.side, tt.method, tt.pathHas
			g.FailNext(f)
			err := tt.call()
			if err == nil || tt.is != nil && !errors.Is(err, tt.is) || errors.Is(err, retention.ErrDenied) {
				t.Errorf("%v, want the fault's error (%v), not ErrDenied", err, tt.is)
			}
			sent := 0
			for _, r := range g.Requests() {
				if r.Side == tt.side && r.Method == tt.method && strings.Contains(r.Path, tt.pathHas) {
					sent++
				}
			}
			if sent != 1 {
				t.Errorf("%s sent %d times, want once", tt.method, sent)
			}
		})
	}
	if got := active(g, "acme", "app"); len(got[old]) != 1 || len(got) != 2 {
		t.Errorf("after the failed deletions: %v, want old and v1 as they were", got)
	}
}
