package oci

import (
	"context"
	"sync"

	"github.com/regprune/regprune/internal/pool"
)

// forEach calls fn for i in [0, n) from at most the client's concurrency
// goroutines (requests are bounded by the request slots anyway; this
// bounds goroutines). The first error cancels the rest and is returned.
func (c *Client) forEach(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	return pool.Each(ctx, c.opts.concurrency, n, fn)
}

// memo computes a value once per key; concurrent callers of the same key
// wait for the first. Errors are remembered too: within one listing a
// failure is final.
type memo[V any] struct {
	mu sync.Mutex
	m  map[string]*memoCall[V]
}

type memoCall[V any] struct {
	done chan struct{}
	v    V
	err  error
}

func (m *memo[V]) do(ctx context.Context, key string, fn func() (V, error)) (V, error) {
	m.mu.Lock()
	if m.m == nil {
		m.m = map[string]*memoCall[V]{}
	}
	if call, ok := m.m[key]; ok {
		m.mu.Unlock()
		select {
		case <-call.done:
			return call.v, call.err
		case <-ctx.Done():
			var zero V
			return zero, ctx.Err()
		}
	}
	call := &memoCall[V]{done: make(chan struct{})}
	m.m[key] = call
	m.mu.Unlock()
	call.v, call.err = fn()
	close(call.done)
	return call.v, call.err
}

// put stores v under key unless the key is already known.
func (m *memo[V]) put(key string, v V) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[string]*memoCall[V]{}
	}
	if _, ok := m.m[key]; !ok {
		call := &memoCall[V]{done: make(chan struct{}), v: v}
		close(call.done)
		m.m[key] = call
	}
}

// values returns the successfully computed values.
func (m *memo[V]) values() map[string]V {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]V{}
	for k, call := range m.m {
		select {
		case <-call.done:
			if call.err == nil {
				out[k] = call.v
			}
		default:
		}
	}
	return out
}
