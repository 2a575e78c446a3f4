package oci

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/hashicorp/go-retryablehttp"

	"github.com/regprune/regprune/retention/registry/internal/rest"
)

// newRetrying returns the only retry layer of the client: go-retryablehttp
// under go-containerregistry's auth transports, over base.
//
// The last response of a failed series is passed through unchanged, so
// the caller builds a *transport.Error that carries the registry's error
// codes instead of "giving up after 5 attempts". Redirects are left to the
// outer client (ErrUseLastResponse), where authentication is only sent to
// the registry host. A DELETE or a PUT is sent once (rest.MarkOnce).
//
// insecure marks the client of insecure registries: there ggcr probes
// /v2/ over https and http at once, and a failed https probe is the
// normal answer of a plain-HTTP registry, not a fault to retry.
//
// It is not the REST kit's client (rest.NewHTTPClient), though it reads
// the same waits (rest.Read, rest.Check) and sends a DELETE or a PUT
// once (rest.MarkOnce) as the kit does, because the distribution API
// differs from a vendor's REST API: it sits under go-containerregistry's
// token and auth transports rather than over a client the provider
// calls, redirects go back to the outer client, an insecure registry's
// failed https probe is no fault to retry, only Retry-After is a wait,
// its logging is per request, and its counts and waits are the OCI
// options' (WithRetry), not a vendor's.
func newRetrying(base http.RoundTripper, o *options, insecure bool) http.RoundTripper {
	rc := retryablehttp.NewClient()
	// Its default logger prints every request to stderr; this one logs
	// each retry as a warning and the rest at debug.
	rc.Logger = newRetryLog(o.logger)
	rc.RetryMax = o.retryMax
	rc.RetryWaitMin = o.waitMin
	rc.RetryWaitMax = o.waitMax
	rc.CheckRetry = checkRetry(o.maxWaitOf, insecure)
	rc.Backoff = backoff(o.maxWaitOf)
	rc.ErrorHandler = rest.Passthrough
	rc.HTTPClient = &http.Client{
		Transport: logRequests{base, o.logger},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	return rest.MarkOnce(&retryablehttp.RoundTripper{Client: rc})
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

// checkRetry retries what retryablehttp's default policy retries
// (connection errors, 429, 5xx but 501), never a DELETE or a PUT (see
// rest.MarkOnce), and fails fast when the registry asks for a wait
// longer than its limit (limit of the request's host).
func checkRetry(limitOf func(host string) time.Duration, insecure bool) retryablehttp.CheckRetry {
	return func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		if insecure && isHTTPSProbe(err) {
			return false, nil
		}
		var clear *cleartextError
		if errors.As(err, &clear) {
			return false, nil // a refusal, not a fault: never retried
		}
		retryIt, perr := retryablehttp.DefaultRetryPolicy(ctx, resp, err)
		if !retryIt || rest.Once(ctx) {
			return false, perr
		}
		if resp != nil && asksToWait(resp) {
			if err := rest.Check(resp, time.Now(), limitOf(resp.Request.URL.Host), rest.RetryAfter); err != nil {
				return false, err
			}
		}
		return retryIt, perr
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
func backoff(limitOf func(host string) time.Duration) retryablehttp.Backoff {
	return func(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
		if resp != nil && asksToWait(resp) {
			if a, ok := rest.Read(resp, time.Now(), rest.RetryAfter); ok {
				return min(a.Wait, limitOf(resp.Request.URL.Host))
			}
		}
		return retryablehttp.DefaultBackoff(lo, hi, attempt, nil)
	}
}

// asksToWait reports whether resp is an answer whose Retry-After the
// client honours: 429 and 503.
func asksToWait(resp *http.Response) bool {
	return resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable
}
