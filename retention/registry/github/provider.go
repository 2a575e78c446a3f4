package github

import (
	"fmt"
	"time"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/apis"
	"github.com/regprune/regprune/retention/registry"
)

// API is the GitHub Packages API as the Router builds it: api: github,
// the default of ghcr.io, with its Settings.
var API = registry.API{Name: apis.GitHub, Hosts: []string{"ghcr.io"}, Settings: Settings{}, Check: checkSettings, New: newProvider}

// newProvider builds the provider of one github registry: its token is
// the entry's password, else the environment's (GITHUB_TOKEN for
// ghcr.io).
func newProvider(reg retention.Registry, env registry.Env) (registry.Provider, error) {
	tok := reg.Password.Reveal()
	if tok == "" && env.Token != nil {
		tok = env.Token(reg.Host)
	}
	common, err := registry.CommonOf(reg)
	if err != nil {
		return nil, err
	}
	var s Settings
	if err := registry.DecodeSettings(reg.Settings, &s); err != nil {
		return nil, fmt.Errorf("registries: %s: %w", reg.Host, err)
	}
	o := Options{Host: reg.Host, APIURL: s.APIURL, Token: tok, Logger: env.Logger, MaxWait: DefaultMaxWait, Pacing: s.Pacing}
	if common.MaxWait > 0 {
		o.MaxWait = time.Duration(common.MaxWait)
	}
	gc, err := New(env.OCI, o)
	if err != nil {
		return nil, fmt.Errorf("registries: %s: %w", reg.Host, err)
	}
	return gc, nil
}
