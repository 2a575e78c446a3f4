package rest

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/regprune/regprune/retention"
)

// MaxWait is the longest wait a retry layer sits out when a service asks
// for one. A scheduled run is better off failing the repository at once
// and trying again on its next run: a 429 with Retry-After: 86400 once
// made a run wait 24 h, up to 4 times. A minute still rides out the
// per-minute limits that a run does hit (Docker Hub's API, GitHub's
// secondary limits). Each client can set its own (oci.WithRetry,
// github.Options.MaxWait, dockerhub.Options.MaxWait).
const MaxWait = 60 * time.Second

// The headers a service says how long to wait in.
const (
	// RetryAfter is RFC 9110's: seconds, or an HTTP date.
	RetryAfter = "Retry-After"
	// XRetryAfter is a unix time, sent by older Docker Hub deployments.
	XRetryAfter = "X-Retry-After"
	// RateLimitReset is GitHub's x-ratelimit-reset, a unix time; it is a
	// wait only with x-ratelimit-remaining: 0 (GitHub sends it on every
	// answer).
	RateLimitReset = "X-RateLimit-Reset"
)

// Asked is a wait a service asked for, and the header that asked.
type Asked struct {
	Wait   time.Duration
	Header string
}

// Read returns the wait resp asks for in the first of headers that it
// carries in a form this package reads; ok is false when it carries
// none. A time in the past is a wait of 0. now is the clock unix times
// and dates are read against.
func Read(resp *http.Response, now time.Time, headers ...string) (a Asked, ok bool) {
	for _, h := range headers {
		if d, ok := read(resp.Header, h, now); ok {
			return Asked{Wait: d, Header: h}, true
		}
	}
	return Asked{}, false
}

func read(hdr http.Header, name string, now time.Time) (time.Duration, bool) {
	v := hdr.Get(name)
	if v == "" {
		return 0, false
	}
	switch name {
	case RetryAfter:
		if s, err := strconv.ParseInt(v, 10, 64); err == nil {
			if s < 0 {
				return 0, false
			}
			return seconds(s), true
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(now), 0), true
		}
	case RateLimitReset:
		if hdr.Get("X-RateLimit-Remaining") != "0" {
			return 0, false
		}
		fallthrough
	case XRetryAfter:
		if u, err := strconv.ParseInt(v, 10, 64); err == nil {
			return max(time.Unix(u, 0).Sub(now), 0), true
		}
	}
	return 0, false
}

// seconds is s seconds, saturating instead of overflowing.
func seconds(s int64) time.Duration {
	if s > int64(time.Duration(1<<63-1)/time.Second) {
		return time.Duration(1<<63 - 1)
	}
	return time.Duration(s) * time.Second
}

// Check returns a *TooLongError when resp asks, in the first of headers
// it carries, for a wait longer than limit: the request then fails
// instead of waiting. Otherwise it returns nil.
func Check(resp *http.Response, now time.Time, limit time.Duration, headers ...string) error {
	a, ok := Read(resp, now, headers...)
	if !ok || a.Wait <= limit {
		return nil
	}
	host := ""
	if resp.Request != nil && resp.Request.URL != nil {
		host = resp.Request.URL.Host
	}
	return &TooLongError{Host: host, Status: resp.StatusCode, Asked: a, Limit: limit}
}

// TooLongError is a wait a service asked for past the cap. It wraps
// retention.ErrRateLimited.
type TooLongError struct {
	Host   string
	Status int
	Asked  Asked
	Limit  time.Duration
}

func (e *TooLongError) Error() string {
	host := e.Host
	if host == "" {
		host = "the service"
	}
	return fmt.Sprintf("%s asked to wait %s (%s on HTTP %d), more than the %s cap", host, e.Asked.Wait.Round(time.Second), e.Asked.Header, e.Status, secs(e.Limit))
}

// secs writes a cap as the seconds it is configured in ("60s", not
// "1m0s").
func secs(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s"
}

func (e *TooLongError) Unwrap() error { return retention.ErrRateLimited }
