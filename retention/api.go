package retention

import (
	"slices"
	"strings"
	"sync"
)

// apis are the registry APIs the configuration accepts in
// registries[].api, in the order they were made known, with the hosts
// each is the default for. The built-in three are known from the start;
// a provider package adds its own through RegisterAPI (which
// retention/registry's Register calls), so that a new registry is one
// Register line, not an edit of the core.
var apis = struct {
	sync.RWMutex
	names []string
	hosts map[string]string // canonical host -> API
}{
	names: []string{APIOCI, APIGitHub, APIDockerHub},
	hosts: map[string]string{"ghcr.io": APIGitHub, "docker.io": APIDockerHub},
}

// RegisterAPI makes name a known API, the default of hosts. Registering
// a name again adds hosts; a host keeps the first API it was given.
func RegisterAPI(name string, hosts ...string) {
	apis.Lock()
	defer apis.Unlock()
	if !slices.Contains(apis.names, name) {
		apis.names = append(apis.names, name)
	}
	for _, h := range hosts {
		if _, taken := apis.hosts[CanonicalHost(h)]; !taken {
			apis.hosts[CanonicalHost(h)] = name
		}
	}
}

// knownAPI reports whether name is an API the configuration accepts.
func knownAPI(name string) bool {
	apis.RLock()
	defer apis.RUnlock()
	return slices.Contains(apis.names, name)
}

// apiNames lists the known APIs for a message: "oci, github or dockerhub".
func apiNames() string {
	apis.RLock()
	defer apis.RUnlock()
	n := len(apis.names)
	if n == 1 {
		return apis.names[0]
	}
	return strings.Join(apis.names[:n-1], ", ") + " or " + apis.names[n-1]
}

// defaultAPI is the API a canonical host defaults to, if any.
func defaultAPI(host string) (string, bool) {
	apis.RLock()
	defer apis.RUnlock()
	api, ok := apis.hosts[host]
	return api, ok
}
