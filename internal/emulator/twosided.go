package emulator

import (
	"net/http"
	"net/http/httptest"
	"strings"
)

// twoSided is what the hosted-service emulators (GHCR, Docker Hub) have
// in common: an OCI side and a provider API side, each its own loopback
// server.
type twoSided struct {
	// Host is the OCI side's host:port, as in image references.
	Host string
	// URL is the OCI side's base URL, APIURL the API side's (no
	// trailing slash).
	URL, APIURL string

	oci, api *httptest.Server
}

// start serves oci and api on loopback.
func (s *twoSided) start(oci, api http.Handler) {
	s.oci, s.api = httptest.NewServer(oci), httptest.NewServer(api)
	s.URL, s.APIURL = s.oci.URL, s.api.URL
	s.Host = strings.TrimPrefix(s.URL, "http://")
}

// Close stops both sides.
func (s *twoSided) Close() {
	s.oci.Close()
	s.api.Close()
}

// Repo returns the image reference of repository name under owner (an
// organisation, a user, a namespace).
func (s *twoSided) Repo(owner, name string) string { return s.Host + "/" + owner + "/" + name }
