package oci

import (
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/regprune/regprune/retention"
)

// TestTLSVerified: TLS is verified unless the registry is configured
// insecure (or is on loopback, where plain HTTP is the norm).
func TestTLSVerified(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	get := func(rt http.RoundTripper) error {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v2/", nil)
		resp, err := rt.RoundTrip(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	var unknownAuthority x509.UnknownAuthorityError
	if err := get(newBase(1, false, time.Minute)); !errors.As(err, &unknownAuthority) {
		t.Errorf("a self-signed registry over the verifying transport: %v, want an unknown-authority error", err)
	}
	if err := get(newBase(1, true, time.Minute)); err != nil {
		t.Errorf("the insecure transport: %v", err)
	}
	c := newClient(t, []retention.Registry{{Host: "registry.internal:5000", Insecure: true}})
	for host, want := range map[string]bool{
		"registry.internal:5000": true, "registry.example.com": false, "ghcr.io": false,
		"localhost:5000": true, "127.0.0.1:5000": true, "[::1]:5000": true,
	} {
		if got := c.isInsecure(host); got != want {
			t.Errorf("isInsecure(%s) = %v, want %v", host, got, want)
		}
	}
}
