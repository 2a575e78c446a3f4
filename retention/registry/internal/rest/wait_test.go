package rest

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/regprune/regprune/retention"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func answer(status int, kv ...string) *http.Response {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return &http.Response{StatusCode: status, Header: h, Request: &http.Request{URL: &url.URL{Scheme: "https", Host: "registry.example"}}}
}

func unix(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }

// TestRead: each header has one meaning, whoever reads it.
func TestRead(t *testing.T) {
	all := []string{RetryAfter, XRetryAfter, RateLimitReset}
	for _, tt := range []struct {
		name    string
		headers []string // name, value, ...
		read    []string // the headers the client reads
		want    Asked
		wantOK  bool
	}{
		{name: "seconds", headers: []string{RetryAfter, "7"}, read: all, want: Asked{7 * time.Second, RetryAfter}, wantOK: true},
		{name: "a day in seconds", headers: []string{RetryAfter, "86400"}, read: all, want: Asked{24 * time.Hour, RetryAfter}, wantOK: true},
		{name: "an HTTP date", headers: []string{RetryAfter, now.Add(90 * time.Second).Format(http.TimeFormat)}, read: all, want: Asked{90 * time.Second, RetryAfter}, wantOK: true},
		{name: "a date past is no wait", headers: []string{RetryAfter, now.Add(-time.Hour).Format(http.TimeFormat)}, read: all, want: Asked{0, RetryAfter}, wantOK: true},
		{name: "negative seconds are not a wait", headers: []string{RetryAfter, "-5"}, read: all},
		{name: "garbage is not a wait", headers: []string{RetryAfter, "soon"}, read: all},
		{name: "seconds that overflow saturate", headers: []string{RetryAfter, "99999999999999"}, read: all, want: Asked{time.Duration(1<<63 - 1), RetryAfter}, wantOK: true},
		{name: "X-Retry-After is a unix time", headers: []string{XRetryAfter, unix(2 * time.Hour)}, read: all, want: Asked{2 * time.Hour, XRetryAfter}, wantOK: true},
		{name: "X-Retry-After past", headers: []string{XRetryAfter, unix(-time.Minute)}, read: all, want: Asked{0, XRetryAfter}, wantOK: true},
		{name: "Retry-After comes first", headers: []string{RetryAfter, "3", XRetryAfter, unix(time.Hour)}, read: all, want: Asked{3 * time.Second, RetryAfter}, wantOK: true},
		{name: "a reset with nothing remaining", headers: []string{RateLimitReset, unix(time.Hour), "X-RateLimit-Remaining", "0"}, read: all, want: Asked{time.Hour, RateLimitReset}, wantOK: true},
		{name: "a reset while requests remain is no wait", headers: []string{RateLimitReset, unix(time.Hour), "X-RateLimit-Remaining", "12"}, read: all},
		{name: "a header the client does not read", headers: []string{XRetryAfter, unix(time.Hour)}, read: []string{RetryAfter}},
		{name: "none", read: all},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Read(answer(429, tt.headers...), now, tt.read...)
			if ok != tt.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tt.wantOK)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Read (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCheck: a wait up to the cap is waited; past it the request fails
// with ErrRateLimited and a message naming the wait asked for.
func TestCheck(t *testing.T) {
	for _, tt := range []struct {
		name    string
		resp    *http.Response
		wantErr string
	}{
		{name: "a minute is waited", resp: answer(429, RetryAfter, "60")},
		{name: "no header", resp: answer(503)},
		{name: "a day", resp: answer(429, RetryAfter, "86400"), wantErr: "registry.example asked to wait 24h0m0s (Retry-After on HTTP 429), more than the 60s cap"},
		{name: "a date in an hour", resp: answer(503, RetryAfter, now.Add(time.Hour).Format(http.TimeFormat)), wantErr: "registry.example asked to wait 1h0m0s (Retry-After on HTTP 503), more than the 60s cap"},
		{name: "X-Retry-After in two hours", resp: answer(429, XRetryAfter, unix(2*time.Hour)), wantErr: "registry.example asked to wait 2h0m0s (X-Retry-After on HTTP 429), more than the 60s cap"},
		{name: "a reset in 40 minutes", resp: answer(403, RateLimitReset, unix(40*time.Minute), "X-RateLimit-Remaining", "0"), wantErr: "registry.example asked to wait 40m0s (X-RateLimit-Reset on HTTP 403), more than the 60s cap"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.resp, now, MaxWait, RetryAfter, XRetryAfter, RateLimitReset)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Check: %v, want nil", err)
				}
				return
			}
			var tl *TooLongError
			if err == nil || err.Error() != tt.wantErr || !errors.Is(err, retention.ErrRateLimited) || !errors.As(err, &tl) {
				t.Errorf("Check: %v, want %q wrapping ErrRateLimited", err, tt.wantErr)
			}
		})
	}
}
