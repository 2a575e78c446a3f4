package registry

import (
	"fmt"
	"log/slog"
	"sort"
	"sync"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/apis"
)

// An API is one way of speaking to registries that has a provider of its
// own: its name in registries[].api, the hosts it is the default for,
// the settings a registries entry of it takes, and how to build its
// provider for one configured registry.
type API struct {
	Name  string
	Hosts []string
	// Settings and Check are the provider's settings: a zero value of
	// the struct its keys decode into, and what checks their values
	// (apis.API says how they are read).
	Settings any
	Check    func(settings map[string]any) []apis.Problem
	New      func(reg retention.Registry, env Env) (Provider, error)
}

// Env is what a provider is built with.
type Env struct {
	// OCI reads manifests, tags and blobs over the OCI API.
	OCI OCI
	// Token returns the token of host when its registries entry has no
	// password (GITHUB_TOKEN for ghcr.io); it may be nil.
	Token  func(host string) string
	Logger *slog.Logger
}

var table = struct {
	sync.RWMutex
	apis map[string]API
}{apis: map[string]API{}}

// Register makes api known: the configuration accepts its name in
// registries[].api and its settings in such an entry, its hosts default
// to it, and the Router builds its
// provider for every registry that uses it. The job package registers
// the providers the binary links, in one table. Registering a name twice
// replaces the first.
func Register(api API) {
	table.Lock()
	defer table.Unlock()
	table.apis[api.Name] = api
	hosts := make([]string, len(api.Hosts))
	for i, h := range api.Hosts {
		hosts[i] = retention.CanonicalHost(h)
	}
	apis.Register(apis.API{Name: api.Name, Hosts: hosts, Settings: api.Settings, Check: api.Check})
}

// registered returns the API of name.
func registered(name string) (API, bool) {
	table.RLock()
	defer table.RUnlock()
	a, ok := table.apis[name]
	return a, ok
}

// defaultHosts lists every registered API's default hosts.
func defaultHosts() []string {
	table.RLock()
	defer table.RUnlock()
	var out []string
	for _, a := range table.apis {
		out = append(out, a.Hosts...)
	}
	sort.Strings(out)
	return out
}

// providerFor builds the provider of reg under cfg: nil for the OCI API.
func providerFor(cfg *retention.Config, reg retention.Registry, env Env) (Provider, error) {
	name := cfg.APIFor(reg.Host)
	if name == apis.OCI {
		return nil, nil
	}
	api, ok := registered(name)
	if !ok {
		return nil, fmt.Errorf("registry %s: api %q has no provider in this binary", reg.Host, name)
	}
	return api.New(reg, env)
}
