package oci

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/retention"
)

// counter is a base transport that records every attempt the retry
// layer makes, by "METHOD kind".
type counter struct {
	mu     sync.Mutex
	counts map[string]int
	inner  http.RoundTripper
}

func newCounter() *counter {
	return &counter{counts: map[string]int{}, inner: http.DefaultTransport.(*http.Transport).Clone()}
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	key := r.Method + " " + string(registrytest.Classify(r))
	if r.URL.Scheme == "https" {
		key = "https " + key // ggcr's https probe of a plain-HTTP registry
	}
	c.counts[key]++
	c.mu.Unlock()
	return c.inner.RoundTrip(r)
}

func (c *counter) get(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[key]
}

func (c *counter) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.counts {
		out[k] = v
	}
	return out
}

// fastRetry keeps retry tests quick: real backoff shape, tiny waits.
func fastRetry(max int) Option {
	return WithRetry(max, time.Millisecond, 5*time.Millisecond, 5*time.Second)
}

// testClient returns a client over a counting base transport.
func testClient(t *testing.T, opts ...Option) (*Client, *counter) {
	t.Helper()
	cnt := newCounter()
	return newClient(t, nil, append([]Option{WithBaseTransport(cnt), fastRetry(2)}, opts...)...), cnt
}

// newClient is New for tests: an option it refuses fails the test.
func newClient(t testing.TB, regs []retention.Registry, opts ...Option) *Client {
	t.Helper()
	c, err := New(regs, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
