package github

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"

	gh "github.com/google/go-github/v93/github"
	"github.com/hashicorp/go-retryablehttp"
)

// httpClient is the REST side's one retry layer.
func (c *Client) httpClient(minWait time.Duration) *http.Client {
	rc := retryablehttp.NewClient()
	c.pacer.base = rc.HTTPClient.Transport
	rc.HTTPClient.Transport = c.pacer
	rc.Logger = nil
	rc.RetryMax = 4
	rc.CheckRetry = checkRetry
	rc.Backoff = c.backoff(minWait)
	// The last answer goes to go-github, which reads GitHub's message.
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler
	return rc.StandardClient()
}

// checkRetry retries what GitHub asks to retry: 5xx, 429, and a 403 that
// is a rate limit (retry-after, or x-ratelimit-remaining: 0, or the
// secondary limit's message). Other 403s and every 4xx are answers.
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

// backoff waits as GitHub documents: retry-after seconds when given;
// with x-ratelimit-remaining: 0, until x-ratelimit-reset; otherwise, for
// a rate limit, at least minWait, doubling with each attempt; 5xx and
// transport errors back off from one second. The wait is counted.
func (c *Client) backoff(minWait time.Duration) retryablehttp.Backoff {
	return func(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
		wait := time.Duration(math.Pow(2, float64(attempt))) * time.Second
		if resp != nil && (resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusTooManyRequests) {
			wait = rateWait(resp, minWait, attempt)
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

func rateWait(resp *http.Response, minWait time.Duration, attempt int) time.Duration {
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if resp.Header.Get("X-RateLimit-Remaining") == "0" {
		if reset, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			if d := time.Until(time.Unix(reset, 0)); d > 0 {
				return d
			}
			return 0
		}
	}
	return minWait * time.Duration(1<<min(attempt, 4))
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
