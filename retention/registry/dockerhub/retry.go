package dockerhub

import (
	"context"
	"net/http"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/regprune/regprune/retention/registry/internal/rest"
)

// waitHeaders are the headers the Hub API says its waits in: Retry-After
// seconds, or until X-Retry-After (a unix time, from older deployments).
var waitHeaders = []string{rest.RetryAfter, rest.XRetryAfter}

// httpClient is the Hub API's one retry layer: 5xx and transport errors
// back off; 429 waits Retry-After seconds, or until X-Retry-After, else
// at least minWait, doubling; every wait is capped at maxWait, and a 429
// asking for longer fails at once, naming the wait. A DELETE is sent
// once (rest.MarkOnce).
func (c *Client) httpClient(minWait, maxWait time.Duration) *http.Client {
	rc := retryablehttp.NewClient()
	rc.Logger = nil
	rc.RetryMax = 4
	rc.CheckRetry = func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		if rest.Once(ctx) {
			return false, nil
		}
		if err == nil && resp.StatusCode == http.StatusTooManyRequests {
			if err := rest.Check(resp, time.Now(), maxWait, waitHeaders...); err != nil {
				return false, err
			}
			return true, nil
		}
		return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
	}
	rc.Backoff = func(_, _ time.Duration, attempt int, resp *http.Response) time.Duration {
		wait := time.Duration(1<<min(attempt, 4)) * 500 * time.Millisecond
		if resp != nil && resp.StatusCode == http.StatusTooManyRequests {
			wait = min(hubWait(resp, minWait, attempt), maxWait)
			c.mu.Lock()
			c.waited += wait
			c.mu.Unlock()
			c.log.Warn("Docker Hub API rate limit: waiting", "wait", wait.String(), "attempt", attempt+1)
		}
		return wait
	}
	rc.ErrorHandler = rest.Passthrough
	return &http.Client{Transport: rest.MarkOnce(&retryablehttp.RoundTripper{Client: rc})}
}

func hubWait(resp *http.Response, minWait time.Duration, attempt int) time.Duration {
	if a, ok := rest.Read(resp, time.Now(), waitHeaders...); ok {
		return a.Wait
	}
	return minWait * time.Duration(1<<min(attempt, 4))
}
