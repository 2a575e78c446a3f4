package dockerhub

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// httpClient is the Hub API's one retry layer: 5xx and transport errors
// back off; 429 waits Retry-After seconds, or until X-Retry-After (a unix
// time, from older deployments), else at least minWait, doubling.
func (c *Client) httpClient(minWait time.Duration) *http.Client {
	rc := retryablehttp.NewClient()
	rc.Logger = nil
	rc.RetryMax = 4
	rc.CheckRetry = func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		if err == nil && resp.StatusCode == http.StatusTooManyRequests {
			return true, nil
		}
		return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
	}
	rc.Backoff = func(_, _ time.Duration, attempt int, resp *http.Response) time.Duration {
		wait := time.Duration(1<<min(attempt, 4)) * 500 * time.Millisecond
		if resp != nil && resp.StatusCode == http.StatusTooManyRequests {
			wait = hubWait(resp, minWait, attempt)
			c.mu.Lock()
			c.waited += wait
			c.mu.Unlock()
			c.log.Warn("Docker Hub API rate limit: waiting", "wait", wait.String(), "attempt", attempt+1)
		}
		return wait
	}
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler
	return rc.StandardClient()
}

func hubWait(resp *http.Response, minWait time.Duration, attempt int) time.Duration {
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := strconv.ParseInt(resp.Header.Get("X-Retry-After"), 10, 64); err == nil {
		return max(time.Until(time.Unix(t, 0)), 0)
	}
	return minWait * time.Duration(1<<min(attempt, 4))
}
