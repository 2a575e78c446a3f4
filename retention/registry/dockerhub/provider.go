package dockerhub

import (
	"fmt"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/apis"
	"github.com/regprune/regprune/retention/registry"
)

// API is the Docker Hub API as the Router builds it: api: dockerhub, the
// default of docker.io, with its Settings.
var API = registry.API{Name: apis.DockerHub, Hosts: []string{"docker.io"}, Settings: Settings{}, Check: checkSettings, New: newProvider}

var (
	_ registry.Provider       = (*Client)(nil)
	_ registry.Deepener       = (*Client)(nil)
	_ registry.Waiter         = (*Client)(nil)
	_ registry.Budgeter       = (*Client)(nil)
	_ registry.ManifestReader = (*Client)(nil)
	_ registry.Scoper         = (*Client)(nil)
)

func newProvider(reg retention.Registry, env registry.Env) (registry.Provider, error) {
	common, err := registry.CommonOf(reg)
	if err != nil {
		return nil, err
	}
	var s Settings
	if err := registry.DecodeSettings(reg.Settings, &s); err != nil {
		return nil, fmt.Errorf("registries: %s: %w", reg.Host, err)
	}
	return New(env.OCI, Options{APIURL: s.APIURL, Username: reg.Username, Secret: reg.Password.Reveal(), Credentials: dockerConfigCredentials, Logger: env.Logger, MaxWait: time.Duration(common.MaxWait)}), nil
}

// dockerConfigCredentials are the Docker config's credentials for Docker
// Hub (docker login), asked only when the Hub API is first called.
func dockerConfigCredentials() (string, string) {
	r, err := name.NewRegistry("index.docker.io")
	if err != nil {
		return "", ""
	}
	a, err := authn.DefaultKeychain.Resolve(r)
	if err != nil {
		return "", ""
	}
	cfg, err := a.Authorization()
	if err != nil || cfg == nil {
		return "", ""
	}
	return cfg.Username, cfg.Password
}
