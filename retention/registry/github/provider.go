package github

import (
	"fmt"
	"time"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/apis"
	"github.com/regprune/regprune/retention/registry"
)

// API is the GitHub Packages API as the Router builds it: api: github,
// the default of ghcr.io.
var API = registry.API{Name: apis.GitHub, Hosts: []string{"ghcr.io"}, New: newProvider}

// DefaultMaxWait is how long a github registry waits at most for what
// GitHub asks (retry-after, its rate-limit reset) unless its registries
// entry sets maxWait: its primary limit resets hourly, and a run that is
// at most 15 minutes from the reset waits it out rather than failing.
const DefaultMaxWait = 15 * time.Minute

// newProvider builds the provider of one github registry: its token is
// the entry's password, else the environment's (GITHUB_TOKEN for
// ghcr.io).
func newProvider(reg retention.Registry, env registry.Env) (registry.Provider, error) {
	tok := reg.Password.Reveal()
	if tok == "" && env.Token != nil {
		tok = env.Token(reg.Host)
	}
	o := Options{Host: reg.Host, APIURL: reg.APIURL, Token: tok, Logger: env.Logger, MaxWait: DefaultMaxWait}
	if reg.MaxWait > 0 {
		o.MaxWait = time.Duration(reg.MaxWait)
	}
	if p := reg.Pacing; p != nil {
		o.Pacing = &Pacing{PointsPerMinute: p.PointsPerMinute, Concurrency: p.Concurrency}
	}
	gc, err := New(env.OCI, o)
	if err != nil {
		return nil, fmt.Errorf("registries: %s: %w", reg.Host, err)
	}
	return gc, nil
}
