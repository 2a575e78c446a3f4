package github

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// GitHub's documented secondary limits on api.github.com: at most 100
// concurrent requests, and 900 points a minute per endpoint, where a GET
// costs 1 point and a DELETE, POST, PUT or PATCH 5.
const (
	DefaultPointsPerMinute = 900
	DefaultConcurrency     = 100
)

// Pacing keeps a client under a server's secondary limits before they
// are hit. The zero value paces nothing (GitHub Enterprise Server has no
// such limits unless its admin sets them).
type Pacing struct {
	// PointsPerMinute is the budget of each endpoint (a method and a
	// route; version IDs do not make a new route); 0 is unlimited.
	PointsPerMinute int
	// Concurrency bounds the requests in flight; 0 is unbounded.
	Concurrency int
}

// pacer is a RoundTripper that spends each endpoint's budget through a
// token bucket sized so that no 60-second window holds more than the
// budget, and bounds the requests in flight. Its clock is injectable so
// that a test can run minutes of pacing at once.
type pacer struct {
	base  http.RoundTripper
	p     Pacing
	now   func() time.Time
	sleep func(context.Context, time.Duration) error
	slots chan struct{}

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
	paced   time.Duration
}

func newPacer(base http.RoundTripper, p Pacing, now func() time.Time, sleep func(context.Context, time.Duration) error) *pacer {
	pc := &pacer{base: base, p: p, now: now, sleep: sleep, buckets: map[string]*rate.Limiter{}}
	if p.Concurrency > 0 {
		pc.slots = make(chan struct{}, p.Concurrency)
	}
	return pc
}

// cost is the points a request spends.
func cost(method string) int {
	if method == http.MethodGet || method == http.MethodHead {
		return 1
	}
	return 5
}

// endpoint names the budget a request spends: its method and its path
// with numeric segments (version and package IDs) folded.
func endpoint(r *http.Request) string {
	segs := strings.Split(r.URL.EscapedPath(), "/")
	for i, s := range segs {
		if _, err := strconv.ParseInt(s, 10, 64); err == nil {
			segs[i] = "{id}"
		}
	}
	return r.Method + " " + strings.Join(segs, "/")
}

// bucket returns the endpoint's limiter: n = budget/cost requests a
// minute, one at once and n-1 over the following minute, so that any
// window of a minute holds at most n.
func (pc *pacer) bucket(key string, c int) *rate.Limiter {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	b, ok := pc.buckets[key]
	if !ok {
		n := max(pc.p.PointsPerMinute/c, 1)
		b = rate.NewLimiter(rate.Limit(float64(n-1)/61), 1)
		if n == 1 {
			b = rate.NewLimiter(rate.Limit(1.0/61), 1)
		}
		pc.buckets[key] = b
	}
	return b
}

func (pc *pacer) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx := r.Context()
	if pc.p.PointsPerMinute > 0 {
		res := pc.bucket(endpoint(r), cost(r.Method)).ReserveN(pc.now(), 1)
		if d := res.DelayFrom(pc.now()); d > 0 {
			pc.mu.Lock()
			pc.paced += d
			pc.mu.Unlock()
			if err := pc.sleep(ctx, d); err != nil {
				res.Cancel()
				return nil, err
			}
		}
	}
	if pc.slots != nil {
		select {
		case pc.slots <- struct{}{}:
			defer func() { <-pc.slots }()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return pc.base.RoundTrip(r)
}

// Paced is how long requests were held back so far.
func (pc *pacer) Paced() time.Duration {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return pc.paced
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
