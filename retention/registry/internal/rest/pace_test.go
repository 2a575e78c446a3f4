package rest

import (
	"context"
	"github.com/regprune/regprune/internal/fakeclock"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// stamps is a pacer's base: it answers 204 and records, per endpoint,
// when each request went out by the pacer's clock.
type stamps struct {
	now   func() time.Time
	times map[string][]time.Time
}

func (s *stamps) RoundTrip(r *http.Request) (*http.Response, error) {
	s.times[Endpoint(r)] = append(s.times[Endpoint(r)], s.now())
	return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody, Request: r}, nil
}

// maxInAMinute is the most requests of ts any 60-second window holds.
func maxInAMinute(ts []time.Time) int {
	most := 0
	for i := range ts {
		j := i
		for j < len(ts) && ts[j].Sub(ts[i]) < time.Minute {
			j++
		}
		most = max(most, j-i)
	}
	return most
}

// TestPacer: with a fake clock, minutes of pacing run at once; each
// endpoint (IDs folded) keeps its own budget, so that no minute holds
// more than it, a request costing more spends more of it, and the time
// held back is counted. (One sender: a GET queued behind a DELETE's
// wait goes out later than its own budget needs.)
func TestPacer(t *testing.T) {
	for _, tt := range []struct {
		name      string
		pacing    Pacing
		cost      func(*http.Request) int
		n         int
		wantMost  map[string]int // per endpoint, at most
		wantPaced bool
	}{
		{name: "no pacing", n: 50, wantMost: map[string]int{"GET /items": 50, "DELETE /items/{id}": 50}},
		{name: "60 a minute", pacing: Pacing{PointsPerMinute: 60}, n: 150, wantMost: map[string]int{"GET /items": 60, "DELETE /items/{id}": 60}, wantPaced: true},
		{name: "a DELETE costs 5", pacing: Pacing{PointsPerMinute: 60}, n: 40, wantPaced: true,
			cost:     func(r *http.Request) int { return map[bool]int{true: 1, false: 5}[r.Method == http.MethodGet] },
			wantMost: map[string]int{"GET /items": 60, "DELETE /items/{id}": 12}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clock := fakeclock.New(time.Unix(1e9, 0))
			rec := &stamps{now: clock.Now, times: map[string][]time.Time{}}
			pc := NewPacer(rec, tt.pacing, tt.cost, clock.Now, clock.Sleep)
			for i := 0; i < tt.n; i++ {
				for _, r := range []struct{ method, path string }{{http.MethodGet, "/items"}, {http.MethodDelete, "/items/" + strconv.Itoa(i)}} {
					req, _ := http.NewRequest(r.method, "http://127.0.0.1"+r.path, nil)
					if _, err := pc.RoundTrip(req); err != nil {
						t.Fatal(err)
					}
				}
			}
			for ep, want := range tt.wantMost {
				if got := maxInAMinute(rec.times[ep]); got > want || len(rec.times[ep]) != tt.n {
					t.Errorf("%s: %d sent, up to %d in a minute; want %d, at most %d", ep, len(rec.times[ep]), got, tt.n, want)
				}
			}
			if paced := pc.Paced() > 0; paced != tt.wantPaced {
				t.Errorf("paced %s, want some: %v", pc.Paced(), tt.wantPaced)
			}
		})
	}
}

// TestPacerStopsWithTheContext: a request waiting for its budget gives
// up when its context is done, and spends nothing.
func TestPacerStopsWithTheContext(t *testing.T) {
	clock := fakeclock.New(time.Unix(1e9, 0))
	rec := &stamps{now: clock.Now, times: map[string][]time.Time{}}
	pc := NewPacer(rec, Pacing{PointsPerMinute: 1}, nil, clock.Now, clock.Sleep)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1/items", nil)
	if _, err := pc.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := pc.RoundTrip(req); err == nil {
		t.Error("a request past its budget with its context done went out")
	}
	if n := len(rec.times["GET /items"]); n != 1 {
		t.Errorf("%d requests went out, want 1", n)
	}
}
