package registry

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/hashicorp/go-retryablehttp"
)

// newRetrying returns the only retry layer of the client: go-retryablehttp
// under go-containerregistry's auth transports, over base.
//
// The last response of a failed series is passed through unchanged, so
// the caller builds a *transport.Error that carries the registry's error
// codes instead of "giving up after 5 attempts". Redirects are left to the
// outer client (ErrUseLastResponse), where authentication is only sent to
// the registry host.
//
// insecure marks the client of insecure registries: there ggcr probes
// /v2/ over https and http at once, and a failed https probe is the
// normal answer of a plain-HTTP registry, not a fault to retry.
func newRetrying(base http.RoundTripper, o *options, insecure bool) http.RoundTripper {
	rc := retryablehttp.NewClient()
	// Its default logger prints every request to stderr; this one logs
	// each retry as a warning and the rest at debug.
	rc.Logger = newRetryLog(o.logger)
	rc.RetryMax = o.retryMax
	rc.RetryWaitMin = o.waitMin
	rc.RetryWaitMax = o.waitMax
	rc.CheckRetry = checkRetry(o.maxRetryAfter, insecure)
	rc.Backoff = backoff(o.maxRetryAfter)
	rc.ErrorHandler = passthrough
	rc.RequestLogHook = markRetries
	rc.HTTPClient = &http.Client{
		Transport: logRequests{base, o.logger},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	return &retryablehttp.RoundTripper{Client: rc}
}

// newBase returns the default transport under the retry layer.
func newBase(concurrency int, insecure bool, headerTimeout time.Duration) http.RoundTripper {
	t := remote.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = headerTimeout
	// Idle connections per host must cover the requests in flight, or
	// every burst opens (and TLS-handshakes) new connections.
	t.MaxIdleConnsPerHost = max(t.MaxIdleConnsPerHost, concurrency)
	t.MaxIdleConns = max(t.MaxIdleConns, 2*concurrency)
	if insecure {
		t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // configured as insecure
	}
	return t
}

// httpsOnly refuses every plain-HTTP request: it sits under the client of
// the hosts that are neither loopback nor marked insecure, where
// go-containerregistry would still fall back to http (its probe of
// RFC 1918 and *.local hosts) or follow an http:// token realm, and
// credentials would cross the network in cleartext.
type httpsOnly struct{ next http.RoundTripper }

func (h httpsOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "https" {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, &cleartextError{host: req.URL.Host}
	}
	return h.next.RoundTrip(req)
}

// cleartextError is a plain-HTTP request httpsOnly refused.
type cleartextError struct{ host string }

func (e *cleartextError) Error() string {
	return "refusing plain HTTP to " + e.host + ": only loopback hosts and registries marked insecure: true are reached without TLS"
}

// retryAfterError is returned by checkRetry when a registry asks for a
// longer wait than allowed.
type retryAfterError struct {
	wait, limit time.Duration
	status      int
}

func (e *retryAfterError) Error() string {
	return fmt.Sprintf("rate limited: HTTP %d with Retry-After %s, longer than the %s the client waits (WithRetry)", e.status, e.wait, e.limit)
}

func (e *retryAfterError) Unwrap() error { return ErrRateLimited }

// checkRetry retries what retryablehttp's default policy retries
// (connection errors, 429, 5xx but 501) and fails fast when the registry
// asks for a wait longer than limit.
func checkRetry(limit time.Duration, insecure bool) retryablehttp.CheckRetry {
	return func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		if insecure && isHTTPSProbe(err) {
			return false, nil
		}
		var clear *cleartextError
		if errors.As(err, &clear) {
			return false, nil // a refusal, not a fault: never retried
		}
		retry, perr := retryablehttp.DefaultRetryPolicy(ctx, resp, err)
		if !retry || resp == nil {
			return retry, perr
		}
		if wait, ok := retryAfter(resp); ok && wait > limit {
			return false, &retryAfterError{wait: wait, limit: limit, status: resp.StatusCode}
		}
		return retry, perr
	}
}

// isHTTPSProbe reports whether err is a failed https request for /v2/.
func isHTTPSProbe(err error) bool {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return false
	}
	u, perr := url.Parse(ue.URL)
	return perr == nil && u.Scheme == "https" && (u.Path == "/v2/" || u.Path == "/v2")
}

// backoff is retryablehttp's exponential backoff that honours Retry-After
// on 429 and 503, capped at limit (checkRetry has already refused longer
// waits; the cap is a second guard).
func backoff(limit time.Duration) retryablehttp.Backoff {
	return func(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
		if resp != nil {
			if wait, ok := retryAfter(resp); ok {
				return min(wait, limit)
			}
		}
		return retryablehttp.DefaultBackoff(lo, hi, attempt, nil)
	}
}

// retryAfter parses Retry-After (seconds or an HTTP date) on 429 and 503.
func retryAfter(resp *http.Response) (time.Duration, bool) {
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable {
		return 0, false
	}
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s < 0 {
			return 0, false
		}
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
}

// passthrough is retryablehttp.PassthroughErrorHandler, except for the
// fail-fast error of checkRetry: that one is returned without the
// response (net/http drops a response that comes with an error anyway).
func passthrough(resp *http.Response, err error, n int) (*http.Response, error) {
	var ra *retryAfterError
	if errors.As(err, &ra) {
		if resp != nil {
			resp.Body.Close()
		}
		return nil, err
	}
	return retryablehttp.PassthroughErrorHandler(resp, err, n)
}

// retriedKey marks a context whose requests record whether any of them
// was retried (see withRetryMark).
type retriedKey struct{}

// withRetryMark returns a context under which markRetries sets *retried
// when a request is sent a second time.
func withRetryMark(ctx context.Context) (context.Context, *atomic.Bool) {
	var b atomic.Bool
	return context.WithValue(ctx, retriedKey{}, &b), &b
}

func markRetries(_ retryablehttp.Logger, req *http.Request, attempt int) {
	if attempt == 0 {
		return
	}
	if b, ok := req.Context().Value(retriedKey{}).(*atomic.Bool); ok {
		b.Store(true)
	}
}
