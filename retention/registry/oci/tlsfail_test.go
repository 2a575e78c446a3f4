package oci

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regprune/regprune/retention"
)

// redirectingBase is the verifying base transport with a dialer that
// records every address it is asked for and connects to target, on
// loopback, instead: a test about a registry on another host whose
// traffic never leaves the machine.
func redirectingBase(target string, mu *sync.Mutex, asked *[]string) http.RoundTripper {
	b := newBase(1, false, 10*time.Second).(*http.Transport)
	b.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		*asked = append(*asked, addr)
		mu.Unlock()
		var d net.Dialer
		return d.DialContext(ctx, network, target)
	}
	return b
}

// TestTLSFailureReportedAsTLS: a registry on another host whose
// certificate cannot be verified, or that answers plain HTTP on its https
// port, fails with ErrTLS and a hint (insecure: true, the trust store),
// never as not found or unreachable; it was only ever asked for over
// https on port 443.
func TestTLSFailureReportedAsTLS(t *testing.T) {
	t.Parallel()
	plain := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(plain.Close)
	selfSigned := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	selfSigned.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake the client aborts
	selfSigned.StartTLS()
	t.Cleanup(selfSigned.Close)
	tests := []struct {
		name, target, hint string
	}{
		{"plain HTTP", plain.Listener.Addr().String(), "set insecure: true"},
		{"unverifiable certificate", selfSigned.Listener.Addr().String(), "certificate could not be verified"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var asked []string
			const host = "registry.example.test"
			c := newClient(t, []retention.Registry{{Host: host}}, WithBaseTransport(redirectingBase(tc.target, &mu, &asked)), fastRetry(0))
			_, err := c.List(context.Background(), host+"/app", false, time.Now())
			if !errors.Is(err, ErrTLS) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrUnreachable) {
				t.Fatalf("List: %v; want ErrTLS only", err)
			}
			if !strings.Contains(err.Error(), tc.hint) || !strings.Contains(err.Error(), host) {
				t.Errorf("error %q does not name the host and say %q", err, tc.hint)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, a := range asked {
				if a != host+":443" {
					t.Errorf("dialled %s, want %s:443 only", a, host)
				}
			}
		})
	}
}
