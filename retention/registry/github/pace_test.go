package github

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/regprune/regprune/retention/registry/internal/rest"
)

// recorder is the pacer's base: it answers 204 and records when each
// request went out by the pacer's clock.
type recorder struct {
	now   func() time.Time
	times map[string][]time.Time
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.times[req.Method] = append(r.times[req.Method], r.now())
	return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody, Request: req}, nil
}

// TestDefaultPacingStaysUnderGitHubsLimits sends 600 DELETEs and 2,000
// GETs, interleaved, through the default pacing and checks that no
// minute holds more than GitHub's 900 points per endpoint: 180 DELETEs,
// 900 GETs; and that the pacing costs no more than the budget asks.
func TestDefaultPacingStaysUnderGitHubsLimits(t *testing.T) {
	now := time.Unix(1e9, 0)
	clock := func() time.Time { return now }
	sleep := func(_ context.Context, d time.Duration) error { now = now.Add(d); return nil }
	rec := &recorder{now: clock, times: map[string][]time.Time{}}
	pc := rest.NewPacer(rec, Pacing{PointsPerMinute: DefaultPointsPerMinute, Concurrency: DefaultConcurrency}, cost, clock, sleep)
	start := now
	for i := 0; i < 2600; i++ {
		method, path := http.MethodGet, "/orgs/acme/packages/container/app/versions"
		if i%13 < 3 {
			method, path = http.MethodDelete, "/orgs/acme/packages/container/app/versions/"+strconv.Itoa(i)
		}
		req, _ := http.NewRequest(method, "https://api.github.com"+path, nil)
		if _, err := pc.RoundTrip(req); err != nil {
			t.Fatal(err)
		}
	}
	for method, limit := range map[string]int{http.MethodDelete: 180, http.MethodGet: 900} {
		ts := rec.times[method]
		for i := range ts {
			j := i
			for j < len(ts) && ts[j].Sub(ts[i]) < time.Minute {
				j++
			}
			if j-i > limit {
				t.Fatalf("%d %ss within a minute from %s, over GitHub's %d", j-i, method, ts[i].Sub(start), limit)
			}
		}
	}
	// 600 DELETEs at 179 a minute after the first take 3.4 minutes; one
	// request at a time, the GETs queued behind a waiting DELETE add to
	// that.
	if took := now.Sub(start); took < 3*time.Minute || took > 5*time.Minute {
		t.Errorf("pacing took %s, not what the budget needs", took)
	}
	if pc.Paced() == 0 {
		t.Error("nothing was paced")
	}
}

// blocker holds every request until released, counting those in flight.
type blocker struct {
	mu            sync.Mutex
	inFlight, max int
	release       chan struct{}
}

func (b *blocker) RoundTrip(req *http.Request) (*http.Response, error) {
	b.mu.Lock()
	b.inFlight++
	b.max = max(b.max, b.inFlight)
	b.mu.Unlock()
	<-b.release
	b.mu.Lock()
	b.inFlight--
	b.mu.Unlock()
	return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Request: req}, nil
}

func TestPacingBoundsRequestsInFlight(t *testing.T) {
	b := &blocker{release: make(chan struct{})}
	pc := rest.NewPacer(b, Pacing{Concurrency: 2}, cost, nil, nil)
	var wg sync.WaitGroup
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodGet, "https://api.github.com/user", nil)
			_, _ = pc.RoundTrip(req)
		}()
	}
	// Wait for two to be in flight and give the others time to pile on.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		b.mu.Lock()
		n := b.inFlight
		b.mu.Unlock()
		if n >= 2 || time.Now().After(deadline) {
			break
		}
	}
	time.Sleep(50 * time.Millisecond)
	for i := 0; i < 6; i++ {
		b.release <- struct{}{}
	}
	wg.Wait()
	if b.max != 2 {
		t.Errorf("%d requests were in flight at once, want at most 2", b.max)
	}
}
