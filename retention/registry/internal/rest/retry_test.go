package rest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/registry"
)

// TestNewHTTPClient: rate limits are waited (and counted) and retried,
// as are 5xx; the last answer of a series reaches the caller; a wait
// past the cap fails at once; a DELETE is sent once; an answer the
// service calls a rate limit (RateLimit) is one.
func TestNewHTTPClient(t *testing.T) {
	for _, tt := range []struct {
		name       string
		method     string
		answers    []func(http.ResponseWriter) // then 200
		wantSent   int
		wantStatus int
		wantErr    error
		wantWaited bool
	}{
		{name: "429 then 200", method: http.MethodGet, answers: []func(http.ResponseWriter){status(429)}, wantSent: 2, wantStatus: 200, wantWaited: true},
		{name: "403 the service calls a rate limit", method: http.MethodGet, answers: []func(http.ResponseWriter){secondary}, wantSent: 2, wantStatus: 200, wantWaited: true},
		{name: "a plain 403 is an answer", method: http.MethodGet, answers: []func(http.ResponseWriter){status(403)}, wantSent: 1, wantStatus: 403},
		{name: "502 then 200", method: http.MethodGet, answers: []func(http.ResponseWriter){status(502)}, wantSent: 2, wantStatus: 200},
		{name: "501 is an answer", method: http.MethodGet, answers: []func(http.ResponseWriter){status(501)}, wantSent: 1, wantStatus: 501},
		{name: "429 all along: the last answer", method: http.MethodGet, answers: []func(http.ResponseWriter){status(429), status(429), status(429), status(429), status(429)}, wantSent: 5, wantStatus: 429, wantWaited: true},
		{name: "a wait past the cap", method: http.MethodGet, answers: []func(http.ResponseWriter){retryAfter("3600")}, wantSent: 1, wantErr: retention.ErrRateLimited},
		{name: "DELETE once", method: http.MethodDelete, answers: []func(http.ResponseWriter){status(429)}, wantSent: 1, wantStatus: 429},
		{name: "PUT once", method: http.MethodPut, answers: []func(http.ResponseWriter){status(500)}, wantSent: 1, wantStatus: 500},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var sent atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if n := int(sent.Add(1)); n <= len(tt.answers) {
					tt.answers[n-1](w)
				}
			}))
			defer srv.Close()
			hc, waits := NewHTTPClient(Options{Service: "test", WaitHeaders: []string{RetryAfter}, MinWait: time.Millisecond, Backoff: time.Millisecond,
				RateLimit: func(r *http.Response) bool { return r.StatusCode == 403 && r.Header.Get("X-Secondary") != "" }})
			req, _ := http.NewRequestWithContext(context.Background(), tt.method, srv.URL, nil)
			resp, err := hc.Do(req)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("Do: %v, want %v", err, tt.wantErr)
				}
			} else if err != nil || resp.StatusCode != tt.wantStatus {
				t.Fatalf("Do: %v %v, want %d", resp, err, tt.wantStatus)
			}
			if resp != nil {
				resp.Body.Close()
			}
			if int(sent.Load()) != tt.wantSent {
				t.Errorf("sent %d times, want %d", sent.Load(), tt.wantSent)
			}
			if paced, limited := waits.Waited(); paced != 0 || (limited > 0) != tt.wantWaited {
				t.Errorf("waited %s paced, %s limited; want some limited: %v", paced, limited, tt.wantWaited)
			}
		})
	}
}

func status(code int) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) { w.WriteHeader(code) }
}

func retryAfter(v string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) { w.Header().Set("Retry-After", v); w.WriteHeader(429) }
}

func secondary(w http.ResponseWriter) { w.Header().Set("X-Secondary", "1"); w.WriteHeader(403) }

// TestError: an answer's status maps onto the core's sentinels, or onto
// the kind the provider names.
func TestError(t *testing.T) {
	for _, tt := range []struct {
		err  *Error
		is   error
		want string
	}{
		{&Error{API: "the API", Status: 403, URL: "u"}, retention.ErrDenied, "access denied (check the credentials and their scope): the API answered 403 to u"},
		{&Error{API: "the API", Status: 404, URL: "u"}, retention.ErrNotFound, "not found: the API answered 404 to u"},
		{&Error{API: "the API", Status: 404, URL: "u", Kind: registry.ErrRepositoryNotFound}, registry.ErrRepositoryNotFound, "repository does not exist: the API answered 404 to u"},
		{&Error{API: "the API", Status: 429, URL: "u"}, retention.ErrRateLimited, "rate limited by the registry: the API answered 429 to u"},
		{&Error{API: "the API", Status: 500, URL: "u"}, nil, "the API answered 500 to u"},
	} {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%d: %q, want %q", tt.err.Status, got, tt.want)
		}
		if tt.is != nil && !errors.Is(tt.err, tt.is) || tt.is == nil && errors.Unwrap(tt.err) != nil {
			t.Errorf("%d: wraps %v, want %v", tt.err.Status, errors.Unwrap(tt.err), tt.is)
		}
	}
}
