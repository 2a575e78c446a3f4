package rest

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Options configure the HTTP client of a vendor API (NewHTTPClient): what
// differs between services, the retry policy itself being one.
type Options struct {
	// Service names the API in the log ("GitHub", "Docker Hub API").
	Service string
	// WaitHeaders are the headers the service says its waits in, read
	// in this order (RetryAfter, XRetryAfter, RateLimitReset).
	WaitHeaders []string
	// RateLimit reports whether an answer other than a 429 is a rate
	// limit (GitHub's 403s); nil: only a 429 is. It may read the body if
	// it leaves it to be read again.
	RateLimit func(*http.Response) bool
	// MinWait is the least wait after a rate limit whose answer names
	// none, doubling with each attempt; default one second.
	MinWait time.Duration
	// MaxWait caps every wait after a rate limit; the service asking for
	// a longer one fails the request at once (*TooLongError). Default
	// MaxWait (60 s).
	MaxWait time.Duration
	// Backoff is the first wait after a 5xx or a transport error,
	// doubling with each attempt; default one second.
	Backoff time.Duration
	// Pacing paces the requests per endpoint (NewPacer), each spending
	// Cost points (nil: 1); the zero Pacing paces nothing.
	Pacing Pacing
	Cost   func(*http.Request) int
	// Logger receives the waits; default discards.
	Logger *slog.Logger
	// Now is the clock the service's reset times and dates are read
	// against, and with Sleep the pacing's clock; default the real one.
	Now   func() time.Time
	Sleep func(context.Context, time.Duration) error
}

// retries is how many times a request is sent again: with the waits
// doubling from one second, a series lasts at most 15 s of backoff, or
// four capped waits of a rate limit.
const retries = 4

// Waits is a client's wait account: how long its requests were held
// back by its pacing, and how long it waited after rate limits.
type Waits struct {
	pacer   *Pacer
	mu      sync.Mutex
	limited time.Duration
}

// Waited is how long the client waited so far: held back by its pacing
// (paced), and after answers that a limit was hit (limited).
func (w *Waits) Waited() (paced, limited time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pacer.Paced(), w.limited
}

func (w *Waits) add(d time.Duration) {
	w.mu.Lock()
	w.limited += d
	w.mu.Unlock()
}

// NewHTTPClient returns a vendor API's one retry layer
// (go-retryablehttp) over its pacer, and its wait account. 5xx (but
// 501) and transport errors back off from o.Backoff; a rate limit waits
// what the service asks for in o.WaitHeaders, else at least o.MinWait,
// doubling, every wait capped at o.MaxWait, and a longer one asked for
// fails at once, naming it. A DELETE or a PUT is sent once (MarkOnce).
// The last answer of a series goes to the caller (Passthrough), whose
// error names the service's message.
func NewHTTPClient(o Options) (*http.Client, *Waits) {
	o = o.withDefaults()
	rc := retryablehttp.NewClient()
	pc := NewPacer(rc.HTTPClient.Transport, o.Pacing, o.Cost, o.Now, o.Sleep)
	rc.HTTPClient.Transport = pc
	w := &Waits{pacer: pc}
	rc.Logger = nil
	rc.RetryMax = retries
	rc.CheckRetry = o.checkRetry
	rc.Backoff = o.backoff(w)
	rc.ErrorHandler = Passthrough
	return &http.Client{Transport: MarkOnce(&retryablehttp.RoundTripper{Client: rc})}, w
}

func (o Options) withDefaults() Options {
	if o.MinWait <= 0 {
		o.MinWait = time.Second
	}
	if o.MaxWait <= 0 {
		o.MaxWait = MaxWait
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil || o.Sleep == nil {
		o.Now, o.Sleep = time.Now, SleepCtx
	}
	if o.RateLimit == nil {
		o.RateLimit = func(*http.Response) bool { return false }
	}
	return o
}

// limited reports whether resp is a rate limit.
func (o Options) limited(resp *http.Response) bool {
	return resp.StatusCode == http.StatusTooManyRequests || o.RateLimit(resp)
}

// checkRetry retries 5xx (but 501), transport errors and rate limits;
// every other answer is the caller's. A request marked Once is never
// retried, and a rate limit whose wait is past MaxWait fails at once.
func (o Options) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		retry, _ := retryablehttp.DefaultRetryPolicy(ctx, resp, err)
		return retry && !Once(ctx), nil
	}
	limited := o.limited(resp)
	server := resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented
	if !limited && !server || Once(ctx) {
		return false, nil
	}
	if limited {
		if err := Check(resp, o.Now(), o.MaxWait, o.WaitHeaders...); err != nil {
			return false, err
		}
	}
	return true, nil
}

// backoff waits o.Backoff, doubling, after a 5xx or a transport error;
// after a rate limit (the other answers checkRetry retries), what the
// service asked for, else o.MinWait, doubling, capped at o.MaxWait, and
// counted in w.
func (o Options) backoff(w *Waits) retryablehttp.Backoff {
	return func(_, _ time.Duration, attempt int, resp *http.Response) time.Duration {
		double := time.Duration(1 << min(attempt, 4))
		if resp == nil || resp.StatusCode >= 500 {
			return o.Backoff * double
		}
		wait := o.MinWait * double
		if a, ok := Read(resp, o.Now(), o.WaitHeaders...); ok {
			wait = a.Wait
		}
		wait = min(wait, o.MaxWait)
		w.add(wait)
		o.Logger.Warn(o.Service+" rate limit: waiting", "status", resp.StatusCode, "wait", wait.String(), "attempt", attempt+1)
		return wait
	}
}
