package oci

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/regprune/regprune/retention"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// tagServer serves /v2/ and /v2/r/tags/list from page, which gets the
// request and answers with tags and an optional Link.
// Error answers carry Retry-After when retryAfter is set.
func tagServer(t *testing.T, retryAfter string, page func(r *http.Request) (tags []string, link string, status int)) (string, *atomic.Int32) {
	t.Helper()
	var lists atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			return
		}
		if r.URL.Path != "/v2/r/tags/list" {
			http.NotFound(w, r)
			return
		}
		lists.Add(1)
		tags, link, status := page(r)
		if link != "" {
			w.Header().Set("Link", link)
		}
		if status != 0 && status != http.StatusOK {
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			w.WriteHeader(status)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"name": "r", "tags": tags})
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://") + "/r", &lists
}

func names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%05d", prefix, i)
	}
	return out
}

// honouring pages all like the spec says: n and last, Link optional.
func honouring(all []string, sendLink bool) func(*http.Request) ([]string, string, int) {
	return func(r *http.Request) ([]string, string, int) {
		q := r.URL.Query()
		n, _ := strconv.Atoi(q.Get("n"))
		rest := all
		if last := q.Get("last"); last != "" {
			i, _ := slices.BinarySearch(all, last)
			for i < len(all) && all[i] <= last {
				i++
			}
			rest = all[i:]
		}
		if n > 0 && n < len(rest) {
			rest = rest[:n]
			if sendLink {
				return rest, fmt.Sprintf(`</v2/r/tags/list?n=%d&last=%s>; rel="next"`, n, rest[len(rest)-1]), 0
			}
		}
		return rest, "", 0
	}
}

func TestListTagsPagination(t *testing.T) {
	t.Parallel()
	all2500 := names("t", 2500)
	all1000 := names("t", 1000)
	tests := []struct {
		name      string
		page      func(*http.Request) ([]string, string, int)
		want      []string
		wantPages int32
		wantErr   error
	}{
		{name: "relative Link", page: honouring(all2500, true), want: all2500, wantPages: 3},
		{name: "last only, no Link (the round last page of 500 costs one probe)", page: honouring(all2500, false), want: all2500, wantPages: 4},
		{name: "exactly one full page, no Link: one probe", page: honouring(all1000, false), want: all1000, wantPages: 2},
		{name: "small repository", page: honouring(names("t", 3), false), want: names("t", 3), wantPages: 1},
		{
			// A registry that caps n at 100 and sends no Link (against the
			// spec): the round page is checked with last=, and paging goes on.
			name: "capped at 100 without Link",
			page: func(r *http.Request) ([]string, string, int) {
				rest, _, _ := honouring(all2500, false)(r)
				return rest[:min(100, len(rest))], "", 0
			},
			want: all2500, wantPages: 26,
		},
		{name: "a round 100 tags that really is all: one probe", page: honouring(names("t", 100), false), want: names("t", 100), wantPages: 2},
		{
			name: "absolute Link",
			page: func(r *http.Request) ([]string, string, int) {
				if r.URL.Query().Get("last") == "" {
					return []string{"a"}, fmt.Sprintf(`<http://%s/v2/r/tags/list?last=a>; rel="next"`, r.Host), 0
				}
				return []string{"b"}, "", 0
			},
			want: []string{"a", "b"}, wantPages: 2,
		},
		{
			name: "registry ignores last",
			page: func(r *http.Request) ([]string, string, int) {
				return all1000, "", 0
			},
			wantErr: ErrTruncated, wantPages: 2,
		},
		{
			name: "last returns earlier tags",
			page: func(r *http.Request) ([]string, string, int) {
				if r.URL.Query().Get("last") == "" {
					return all1000, "", 0
				}
				return []string{"t00999", "zz"}, "", 0
			},
			wantErr: ErrTruncated, wantPages: 2,
		},
		{
			name: "Link loops",
			page: func(r *http.Request) ([]string, string, int) {
				return nil, `</v2/r/tags/list?n=1000>; rel="next"`, 0
			},
			wantErr: ErrTruncated, wantPages: 1,
		},
		{
			name: "Link to another host",
			page: func(r *http.Request) ([]string, string, int) {
				return []string{"a"}, `<http://other.example/v2/r/tags/list?last=a>; rel="next"`, 0
			},
			wantErr: ErrTruncated, wantPages: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			repo, pages := tagServer(t, "", tt.page)
			c, _ := testClient(t)
			got, err := c.ListTags(context.Background(), repo)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ListTags error = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ListTags (-want +got):\n%s", diff)
			}
			if got := pages.Load(); got != tt.wantPages {
				t.Errorf("tags/list requests = %d, want %d", got, tt.wantPages)
			}
		})
	}
}

func TestRetry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		retryAfter   string
		failures     int32 // answers before a 200; -1: always
		status       int
		wantAttempts int32
		wantErr      error
		wantMsg      string // in the error, when set
		wantStatus   int
		maxWait      time.Duration // the registries entry's maxWait, when set
	}{
		{name: "429 with Retry-After, then 200", status: http.StatusTooManyRequests, retryAfter: "1", failures: 1, wantAttempts: 2},
		{name: "503 always: 1+RetryMax attempts, structured error", status: http.StatusServiceUnavailable, failures: -1, wantAttempts: 4, wantStatus: 503},
		{name: "Retry-After of an hour fails fast", status: http.StatusTooManyRequests, retryAfter: "3600", failures: -1, wantAttempts: 1, wantErr: ErrRateLimited},
		{name: "Retry-After of a day names the wait", status: http.StatusTooManyRequests, retryAfter: "86400", failures: -1, wantAttempts: 1, wantErr: ErrRateLimited,
			wantMsg: "asked to wait 24h0m0s (Retry-After on HTTP 429), more than the 5s cap"},
		{name: "501 is not retried", status: http.StatusNotImplemented, failures: -1, wantAttempts: 1, wantStatus: 501},
		{name: "the registry's own maxWait caps it", status: http.StatusTooManyRequests, retryAfter: "2", failures: -1, wantAttempts: 1, wantErr: ErrRateLimited,
			maxWait: time.Second, wantMsg: "asked to wait 2s (Retry-After on HTTP 429), more than the 1s cap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var attempts atomic.Int32
			repo, _ := tagServer(t, tt.retryAfter, func(r *http.Request) ([]string, string, int) {
				n := attempts.Add(1)
				if tt.failures < 0 || n <= tt.failures {
					return nil, "", tt.status
				}
				return []string{"a"}, "", 0
			})
			// Backoff without Retry-After is 1-5 ms here, so a 1 s wait
			// proves Retry-After was honoured.
			var regs []retention.Registry
			if tt.maxWait > 0 {
				regs = []retention.Registry{{Host: retention.Host(repo), Insecure: true, Settings: map[string]any{"maxWait": retention.Duration(tt.maxWait)}}}
			}
			c := newClient(t, regs, WithRetry(3, time.Millisecond, 5*time.Millisecond, 5*time.Second))
			start := time.Now()
			_, err := c.ListTags(context.Background(), repo)
			elapsed := time.Since(start)
			if got := attempts.Load(); got != tt.wantAttempts {
				t.Errorf("attempts = %d, want %d", got, tt.wantAttempts)
			}
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("error = %v, want %v saying %q", err, tt.wantErr, tt.wantMsg)
				}
				if elapsed > 2*time.Second {
					t.Errorf("took %s, want a fast failure", elapsed)
				}
			case tt.wantStatus != 0:
				var te *transport.Error
				if !errors.As(err, &te) || te.StatusCode != tt.wantStatus {
					t.Fatalf("error = %v, want a *transport.Error with status %d", err, tt.wantStatus)
				}
			default:
				if err != nil {
					t.Fatalf("error = %v", err)
				}
				if tt.retryAfter == "1" && elapsed < 900*time.Millisecond {
					t.Errorf("took %s, want Retry-After (1s) honoured", elapsed)
				}
			}
		})
	}
}
