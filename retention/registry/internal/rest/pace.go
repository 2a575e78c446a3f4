package rest

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Pacing keeps a client under a service's limits before they are hit.
// The zero value paces nothing. Its tags are the keys of a provider's
// pacing setting (registries[].pacing for api: github).
type Pacing struct {
	// PointsPerMinute is the budget of each endpoint (a method and a
	// route; numeric IDs do not make a new route); 0 is unlimited.
	PointsPerMinute int `mapstructure:"pointsPerMinute" json:"pointsPerMinute" yaml:"pointsPerMinute"`
	// Concurrency bounds the requests in flight; 0 is unbounded.
	Concurrency int `mapstructure:"concurrency" json:"concurrency" yaml:"concurrency"`
}

// Pacer is a RoundTripper that spends each endpoint's budget through a
// token bucket (x/time/rate) sized so that no 60-second window holds
// more than the budget, and bounds the requests in flight. Its clock is
// injectable so that a test can run minutes of pacing at once.
type Pacer struct {
	base  http.RoundTripper
	p     Pacing
	cost  func(*http.Request) int
	now   func() time.Time
	sleep func(context.Context, time.Duration) error
	slots chan struct{}

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
	paced   time.Duration
}

// NewPacer returns a pacer of p over base. cost is the points a request
// spends (nil: 1 each); now and sleep are its clock (nil: the real one).
func NewPacer(base http.RoundTripper, p Pacing, cost func(*http.Request) int, now func() time.Time, sleep func(context.Context, time.Duration) error) *Pacer {
	if cost == nil {
		cost = func(*http.Request) int { return 1 }
	}
	if now == nil || sleep == nil {
		now, sleep = time.Now, SleepCtx
	}
	pc := &Pacer{base: base, p: p, cost: cost, now: now, sleep: sleep, buckets: map[string]*rate.Limiter{}}
	if p.Concurrency > 0 {
		pc.slots = make(chan struct{}, p.Concurrency)
	}
	return pc
}

// Endpoint names the budget a request spends: its method and its path
// with numeric segments (IDs) folded.
func Endpoint(r *http.Request) string {
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
func (pc *Pacer) bucket(key string, c int) *rate.Limiter {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	b, ok := pc.buckets[key]
	if !ok {
		n := max(pc.p.PointsPerMinute/max(c, 1), 1)
		b = rate.NewLimiter(rate.Limit(float64(n-1)/61), 1)
		if n == 1 {
			b = rate.NewLimiter(rate.Limit(1.0/61), 1)
		}
		pc.buckets[key] = b
	}
	return b
}

// RoundTrip waits for the endpoint's budget and a slot, then sends r.
func (pc *Pacer) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx := r.Context()
	if pc.p.PointsPerMinute > 0 {
		res := pc.bucket(Endpoint(r), pc.cost(r)).ReserveN(pc.now(), 1)
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
func (pc *Pacer) Paced() time.Duration {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return pc.paced
}

// SleepCtx waits d or until ctx is done.
func SleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
