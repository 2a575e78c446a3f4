package pool

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
)

// TestEachBoundsAndStops: never more than limit calls in flight; every
// index runs once; the first error stops new calls and is returned; a
// cancelled context starts none.
func TestEachBoundsAndStops(t *testing.T) {
	var inFlight, peak, calls atomic.Int64
	seen := make([]atomic.Int64, 100)
	err := Each(context.Background(), 3, 100, func(_ context.Context, i int) error {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		calls.Add(1)
		seen[i].Add(1)
		inFlight.Add(-1)
		return nil
	})
	if err != nil || calls.Load() != 100 || peak.Load() > 3 {
		t.Fatalf("err %v, %d calls, peak %d; want nil, 100, at most 3", err, calls.Load(), peak.Load())
	}
	for i := range seen {
		if seen[i].Load() != 1 {
			t.Fatalf("index %d ran %d times", i, seen[i].Load())
		}
	}

	boom := errors.New("boom")
	calls.Store(0)
	err = Each(context.Background(), 1, 100, func(_ context.Context, i int) error {
		calls.Add(1)
		if i == 4 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || calls.Load() > 6 {
		t.Errorf("err %v after %d calls; want boom, and no more than one call after it", err, calls.Load())
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls.Store(0)
	err = Each(ctx, 2, 10, func(context.Context, int) error { calls.Add(1); return nil })
	if !errors.Is(err, context.Canceled) || calls.Load() != 0 {
		t.Errorf("cancelled: err %v, %d calls; want context.Canceled and none", err, calls.Load())
	}
}

// TestEachNoStartAfterCancel: a call waiting for a free slot when the
// context is cancelled does not start (an apply interrupted by SIGINT
// starts no further deletion).
func TestEachNoStartAfterCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	release := make(chan struct{})
	var started atomic.Int64
	done := make(chan error)
	go func() {
		done <- Each(ctx, 1, 5, func(context.Context, int) error {
			if started.Add(1) == 1 {
				<-release // hold the only slot while the context is cancelled
			}
			return nil
		})
	}()
	for started.Load() == 0 {
		runtime.Gosched()
	}
	cancel()
	close(release)
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
	if n := started.Load(); n != 1 {
		t.Errorf("%d calls started, want 1 (none after the cancel)", n)
	}
}
