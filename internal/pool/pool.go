// Package pool is regprune's one worker pool: indexed work with a bound
// on the calls in flight, over errgroup.
package pool

import (
	"context"

	"golang.org/x/sync/errgroup"
)

// Each calls fn(ctx, i) for every i in [0, n), at most limit (at least
// one) at a time. Once ctx is done, or a call has failed, no further call
// starts; the calls in flight get a context that is cancelled with them
// and finish. It returns the first error, or else ctx's.
//
// A caller whose calls must all run whatever happens (each one records
// its own outcome) passes context.WithoutCancel(ctx) here and the real
// context to its calls.
func Each(ctx context.Context, limit, n int, fn func(ctx context.Context, i int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(limit, 1))
	for i := range n {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			// Waiting for a free slot may outlast ctx: check again.
			if gctx.Err() != nil {
				return nil
			}
			return fn(gctx, i)
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}
