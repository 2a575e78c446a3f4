package retention

import (
	"net"
	"strings"
)

// CanonicalHost is the one spelling of a registry host that policies are
// matched under, so that a registry written two ways is still one
// registry and keep-wins holds across the spellings: lower case, the
// default https port dropped (registry:443 is registry), the loopback
// names as one (localhost, 127.0.0.1 and [::1] with the same port), and
// Docker Hub's aliases (index.docker.io, registry-1.docker.io) as
// docker.io. It never resolves a name: two names that DNS may make one
// registry stay two (validate warns about such pairs).
func CanonicalHost(h string) string {
	h = strings.ToLower(h)
	host, port, err := net.SplitHostPort(h)
	if err != nil {
		host, port = h, ""
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if port == "443" {
		port = ""
	}
	switch host {
	case "localhost", "127.0.0.1", "::1":
		host = "localhost"
	case "docker.io", "index.docker.io", "registry-1.docker.io":
		host = "docker.io"
	}
	if port == "" {
		return host
	}
	return net.JoinHostPort(host, port)
}

// CanonicalName is a full repository name (or pattern) with its host
// written as CanonicalHost writes it.
func CanonicalName(repo string) string {
	host, rest, ok := strings.Cut(repo, "/")
	if !ok {
		return repo
	}
	return CanonicalHost(host) + "/" + rest
}
