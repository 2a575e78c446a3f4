package oci

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/regprune/regprune/retention"
)

// refusingTransport records every request it is asked to send and
// refuses all of them: nothing leaves the machine, so a test can be about
// addresses that are not loopback.
type refusingTransport struct {
	mu   sync.Mutex
	seen []string // "scheme://host"
}

func (r *refusingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.seen = append(r.seen, req.URL.Scheme+"://"+req.URL.Host)
	r.mu.Unlock()
	return nil, errors.New("refused by the test: no traffic leaves loopback")
}

// TestNoCleartextToPrivateHosts: a registry on a private address (RFC
// 1918) or a *.local name, with credentials and not marked insecure, is
// reached over https only: go-containerregistry would fall back to plain
// HTTP there and send the credentials in cleartext.
func TestNoCleartextToPrivateHosts(t *testing.T) {
	t.Parallel()
	for _, host := range []string{"10.1.2.3:5000", "192.168.7.7", "registry.local:5000"} {
		t.Run(host, func(t *testing.T) {
			t.Parallel()
			rt := &refusingTransport{}
			c := newClient(t, []retention.Registry{{Host: host, Username: "u", Password: "secret"}},
				WithBaseTransport(rt), WithRetry(0, time.Millisecond, time.Millisecond, time.Second))
			ctx := context.Background()
			if _, err := c.List(ctx, host+"/app", false, time.Now()); err == nil {
				t.Fatal("listing through a refusing transport succeeded")
			}
			if _, err := c.Catalog(ctx, host); err == nil {
				t.Fatal("the catalog through a refusing transport succeeded")
			}
			rt.mu.Lock()
			defer rt.mu.Unlock()
			if len(rt.seen) == 0 {
				t.Fatal("no request was attempted")
			}
			for _, s := range rt.seen {
				if s != "https://"+host {
					t.Errorf("a request went to %s; want https://%s only", s, host)
				}
			}
		})
	}
}
