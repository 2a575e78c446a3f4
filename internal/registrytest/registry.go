package registrytest

import (
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
)

// Registry is a running registry.
type Registry struct {
	// Host is host:port, as in image references ("127.0.0.1:5000").
	Host string
	// URL is the base URL ("http://127.0.0.1:5000").
	URL string
	// ConfigPath is Distribution's configuration file; empty otherwise.
	ConfigPath string
	// RootDir is Distribution's filesystem storage; empty otherwise.
	RootDir string

	dist *distribution
}

// Repo returns the full name of repository name on this registry
// ("127.0.0.1:5000/name").
func (r *Registry) Repo(name string) string {
	return r.Host + "/" + name
}

// InMemory starts go-containerregistry's in-memory registry, with the
// OCI referrers API when referrers is true, and stops it when the test
// ends.
func InMemory(t testing.TB, referrers bool) *Registry {
	t.Helper()
	h := registry.New(
		registry.WithReferrersSupport(referrers),
		registry.Logger(log.New(io.Discard, "", 0)),
	)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &Registry{Host: strings.TrimPrefix(srv.URL, "http://"), URL: srv.URL}
}
