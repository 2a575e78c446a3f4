package github

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"time"

	gh "github.com/google/go-github/v93/github"
	"github.com/hashicorp/go-retryablehttp"

	"github.com/regprune/regprune/retention/registry/internal/rest"
)

// httpClient is the REST side's one retry layer. A DELETE or a PUT is
// sent once (rest.MarkOnce); a wait GitHub asks for past maxWait fails
// the request.
func (c *Client) httpClient(minWait, maxWait time.Duration) *http.Client {
	rc := retryablehttp.NewClient()
	c.pacer.base = rc.HTTPClient.Transport
	rc.HTTPClient.Transport = c.pacer
	rc.Logger = nil
	rc.RetryMax = 4
	rc.CheckRetry = c.checkRetry(maxWait)
	rc.Backoff = c.backoff(minWait, maxWait)
	// The last answer goes to go-github, which reads GitHub's message.
	rc.ErrorHandler = rest.Passthrough
	return &http.Client{Transport: rest.MarkOnce(&retryablehttp.RoundTripper{Client: rc})}
}

// waitHeaders are the headers GitHub says its waits in, in the order its
// documentation reads them: retry-after, else x-ratelimit-reset when
// x-ratelimit-remaining is 0.
var waitHeaders = []string{rest.RetryAfter, rest.RateLimitReset}

// checkRetry retries what GitHub asks to retry: 5xx, 429, and a 403 that
// is a rate limit (retry-after, or x-ratelimit-remaining: 0, or the
// secondary limit's message). Other 403s and every 4xx are answers. A
// DELETE or a PUT is never retried, and a rate limit whose wait is past
// maxWait fails at once.
func (c *Client) checkRetry(maxWait time.Duration) retryablehttp.CheckRetry {
	return func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		retryIt, err := checkRetry(ctx, resp, err)
		if !retryIt || rest.Once(ctx) {
			return false, err
		}
		if resp != nil && (resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusTooManyRequests) {
			if err := rest.Check(resp, c.now(), maxWait, waitHeaders...); err != nil {
				return false, err
			}
		}
		return true, err
	}
}

func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return true, nil
	case resp.StatusCode == http.StatusForbidden:
		return resp.Header.Get("Retry-After") != "" || resp.Header.Get("X-RateLimit-Remaining") == "0" || saysRateLimit(resp), nil
	case resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented:
		return true, nil
	}
	return false, nil
}

// backoff waits as GitHub documents: retry-after when given; with
// x-ratelimit-remaining: 0, until x-ratelimit-reset; otherwise, for a
// rate limit, at least minWait, doubling with each attempt; every rate
// limit's wait is capped at maxWait (checkRetry has already failed the
// longer waits GitHub asked for). 5xx and transport errors back off
// from one second. The wait is counted.
func (c *Client) backoff(minWait, maxWait time.Duration) retryablehttp.Backoff {
	return func(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
		wait := time.Duration(math.Pow(2, float64(attempt))) * time.Second
		if resp != nil && (resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusTooManyRequests) {
			wait = min(c.rateWait(resp, minWait, attempt), maxWait)
			c.mu.Lock()
			c.waited += wait
			c.mu.Unlock()
			c.log.Warn("GitHub rate limit: waiting", "status", resp.StatusCode, "wait", wait.String(), "attempt", attempt+1)
		}
		return wait
	}
}

// saysRateLimit reports whether a 403's body is a rate-limit message
// (the secondary limit may come without headers), leaving the body to
// be read again.
func saysRateLimit(resp *http.Response) bool {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return bytes.Contains(b, []byte("rate limit"))
}

func (c *Client) rateWait(resp *http.Response, minWait time.Duration, attempt int) time.Duration {
	if a, ok := rest.Read(resp, c.now(), waitHeaders...); ok {
		return a.Wait
	}
	return minWait * time.Duration(1<<min(attempt, 4))
}

// rateLimited reports whether err is GitHub's answer that a limit was
// hit: the primary (x-ratelimit-remaining: 0) or the secondary limit, or
// any 429. A DELETE answered so is not retried (rest.MarkOnce), and
// must not read as a refusal of the token.
func rateLimited(err error) bool {
	var rl *gh.RateLimitError
	var ab *gh.AbuseRateLimitError
	var er *gh.ErrorResponse
	return errors.As(err, &rl) || errors.As(err, &ab) || errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusTooManyRequests
}

func asErrorResponse(err error, er **gh.ErrorResponse) bool {
	if errors.As(err, er) {
		return true
	}
	// Rate-limit errors carry the response too.
	var rl *gh.RateLimitError
	if errors.As(err, &rl) {
		*er = &gh.ErrorResponse{Response: rl.Response, Message: rl.Message}
		return true
	}
	var ab *gh.AbuseRateLimitError
	if errors.As(err, &ab) {
		*er = &gh.ErrorResponse{Response: ab.Response, Message: ab.Message}
		return true
	}
	return false
}
