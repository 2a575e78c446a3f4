// Package apis is the table of the registry APIs the configuration
// accepts in registries[].api, with the hosts each is the default for
// and the settings each takes in a registries entry (settings.go). The
// built-in three names are known from the start, so that an api
// compiles the same whichever providers a binary links; a provider
// package adds its own, and its settings, through retention/registry's
// Register, which calls Register here, so that a new registry is one
// Register line, not an edit of the core. It is pure: the core reads it
// when it validates a configuration.
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

// An API is one entry of the table.
type API struct {
	// Name is what registries[].api says.
	Name string
	// Hosts are the hosts it is the default for, in their canonical
	// spelling (retention.CanonicalHost).
	Hosts []string
	// Settings is a zero value of the struct that the keys a registries
	// entry of this API sets beyond the core's (host, insecure,
	// username, password, api) and the common ones (RegisterCommon)
	// decode into: each field with a mapstructure tag is a key, spelt
	// as the tag, of the Go type of the field (the configuration's
	// strict decoding checks a value against it where it is written).
	// A field's tag only completes the message given when an entry of
	// another api sets the key: "only api: github " + `is paced`. nil:
	// no settings.
	Settings any
	// Check reports what is wrong with the values in settings, which
	// holds some keys of Settings (each at most once, as the file set
	// it): the key of a Problem is relative to the entry
	// ("pacing.pointsPerMinute"). It is also given a key that an entry
	// of another api sets, when this API is the first in the table to
	// take it, so that a wrong value is reported as such before the key
	// is refused. nil: every value is right.
	Check func(settings map[string]any) []Problem
}

// table holds the known APIs, in the order they were made known, and
// the default API of each canonical host.
var table = struct {
	sync.RWMutex
	names    []string
	hosts    map[string]string // canonical host -> API
	settings map[string]API    // by name, for the APIs that take settings
	common   API               // the settings every API takes
}{
	names:    []string{OCI, GitHub, DockerHub},
	hosts:    map[string]string{"ghcr.io": GitHub, "docker.io": DockerHub},
	settings: map[string]API{},
}

// Register makes a.Name a known API, the default of a.Hosts, taking
// a.Settings. Registering a name again adds hosts and replaces its
// settings; a host keeps the first API it was given. It panics when
// a.Settings is not a struct, or gives a key a type another API gave
// another (a program error, found when the provider registers).
func Register(a API) {
	fields := settingsOf(a.Settings)
	table.Lock()
	defer table.Unlock()
	if !slices.Contains(table.names, a.Name) {
		table.names = append(table.names, a.Name)
	}
	for _, h := range a.Hosts {
		if _, taken := table.hosts[h]; !taken {
			table.hosts[h] = a.Name
		}
	}
	if a.Settings == nil {
		delete(table.settings, a.Name)
		return
	}
	mustAgree(a.Name, fields)
	table.settings[a.Name] = a
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
