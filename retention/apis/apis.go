// Package apis is the table of the registry APIs the configuration
// accepts in registries[].api, with the hosts each is the default for.
// The built-in three are known from the start, so that a configuration
// compiles the same whichever providers a binary links; a provider
// package adds its own through retention/registry's Register, which
// calls Register here, so that a new registry is one Register line, not
// an edit of the core. It is pure: the core reads it when it validates a
// configuration.
package apis

import (
	"slices"
	"strings"
	"sync"
)

// The APIs a registry may be reached through, built in: the OCI
// distribution API, the GitHub Packages API and the Docker Hub API.
// Others are added by Register (retention/registry's Register).
const (
	OCI       = "oci"
	GitHub    = "github"
	DockerHub = "dockerhub"
)

// table holds the known APIs, in the order they were made known, and
// the default API of each canonical host.
var table = struct {
	sync.RWMutex
	names []string
	hosts map[string]string // canonical host -> API
}{
	names: []string{OCI, GitHub, DockerHub},
	hosts: map[string]string{"ghcr.io": GitHub, "docker.io": DockerHub},
}

// Register makes name a known API, the default of hosts, which are in
// their canonical spelling (retention.CanonicalHost). Registering a name
// again adds hosts; a host keeps the first API it was given.
func Register(name string, hosts ...string) {
	table.Lock()
	defer table.Unlock()
	if !slices.Contains(table.names, name) {
		table.names = append(table.names, name)
	}
	for _, h := range hosts {
		if _, taken := table.hosts[h]; !taken {
			table.hosts[h] = name
		}
	}
}

// Known reports whether name is an API the configuration accepts.
func Known(name string) bool {
	table.RLock()
	defer table.RUnlock()
	return slices.Contains(table.names, name)
}

// Names lists the known APIs for a message: "oci, github or dockerhub".
func Names() string {
	table.RLock()
	defer table.RUnlock()
	n := len(table.names)
	if n == 1 {
		return table.names[0]
	}
	return strings.Join(table.names[:n-1], ", ") + " or " + table.names[n-1]
}

// Default is the API a canonical host defaults to, if any.
func Default(host string) (string, bool) {
	table.RLock()
	defer table.RUnlock()
	api, ok := table.hosts[host]
	return api, ok
}
