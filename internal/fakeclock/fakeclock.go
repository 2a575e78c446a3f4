// Package fakeclock is the tests' clock: it moves only when told, or
// when something sleeps on it, so minutes of pacing or a verification
// window pass at once.
package fakeclock

import (
	"context"
	"sync"
	"time"
)

// Clock is a clock that moves only by Advance and Sleep.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New returns a clock at start.
func New(start time.Time) *Clock { return &Clock{now: start} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Sleep moves the clock by d at once, never back (concurrent sleepers
// wake at their own times, as with a real clock), and returns ctx's
// error.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if d > 0 {
		c.Advance(d)
	}
	return ctx.Err()
}
