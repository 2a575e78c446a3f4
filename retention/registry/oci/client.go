package oci

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/registry"
)

// Client talks to the registries of a configuration. It authenticates
// once per repository and reuses that transport for every request of the
// repository. It is safe for concurrent use.
type Client struct {
	opts       options
	registries map[string]retention.Registry
	slots      *fairSlots
	secure     http.RoundTripper // retry layer over verified TLS
	insecure   http.RoundTripper // retry layer over unverified TLS

	mu    sync.Mutex
	auths map[string]*authEntry // by scope key: repository name or "catalog:host"
}

type authEntry struct {
	done chan struct{}
	rt   http.RoundTripper
	err  error
}

// New returns a client for the given registry settings (matched by host;
// hosts without settings use the keychain and verified TLS). An option
// given a value it cannot take fails it.
func New(registries []retention.Registry, opts ...Option) (*Client, error) {
	o := defaultOptions()
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("configuring the registry client: %w", err)
		}
	}
	if o.keychain == nil {
		o.keychain = keychainOf(o.clouds(), o.logger)
	}
	o.maxWaitHost = map[string]time.Duration{}
	for _, r := range registries {
		common, err := registry.CommonOf(r)
		if err != nil {
			return nil, fmt.Errorf("configuring the registry client: %w", err)
		}
		if common.MaxWait > 0 {
			o.maxWaitHost[retention.CanonicalHost(r.Host)] = time.Duration(common.MaxWait)
		}
	}
	c := &Client{
		opts:       o,
		registries: map[string]retention.Registry{},
		slots:      newFairSlots(o.concurrency),
		auths:      map[string]*authEntry{},
	}
	for _, r := range registries {
		c.registries[r.Host] = r
	}
	if o.base != nil {
		c.secure = newRetrying(idleBodies{httpsOnly{o.base}, o.bodyIdle}, &o, false)
		c.insecure = newRetrying(idleBodies{o.base, o.bodyIdle}, &o, true)
	} else {
		c.secure = newRetrying(idleBodies{httpsOnly{newBase(o.concurrency, false, o.headerTimeout)}, o.bodyIdle}, &o, false)
		c.insecure = newRetrying(idleBodies{newBase(o.concurrency, true, o.headerTimeout), o.bodyIdle}, &o, true)
	}
	return c, nil
}

// scheme is the scheme of reg's URLs: https, unless the host may use
// plain HTTP (isInsecure). go-containerregistry's own choice
// (name.Registry.Scheme) also says http for RFC 1918 addresses and
// *.local names, which would send credentials in cleartext to hosts
// nobody marked insecure.
func (c *Client) scheme(reg name.Registry) string {
	if c.isInsecure(reg.RegistryStr()) {
		return reg.Scheme()
	}
	return "https"
}

// isInsecure reports whether host may use plain HTTP and unverified TLS:
// configured so, or a loopback address.
func (c *Client) isInsecure(host string) bool {
	if c.registries[host].Insecure {
		return true
	}
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	return ip != nil && ip.IsLoopback()
}

// repository parses a full repository name ("host/path").
func (c *Client) repository(repo string) (name.Repository, error) {
	var nopts []name.Option
	if c.isInsecure(retention.Host(repo)) {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.NewRepository(repo, nopts...)
	if err != nil {
		return name.Repository{}, fmt.Errorf("parsing repository %q: %w", repo, err)
	}
	return r, nil
}

func (c *Client) registry(host string) (name.Registry, error) {
	var nopts []name.Option
	if c.isInsecure(host) {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.NewRegistry(host, nopts...)
	if err != nil {
		return name.Registry{}, fmt.Errorf("parsing registry %q: %w", host, err)
	}
	return r, nil
}

// authenticator returns the configured credentials for host, else what
// the keychain has.
func (c *Client) authenticator(ctx context.Context, host string, reg name.Registry) (authn.Authenticator, error) {
	if r, ok := c.registries[host]; ok && r.Username != "" {
		return authn.FromConfig(authn.AuthConfig{Username: r.Username, Password: r.Password.Reveal()}), nil
	}
	a, err := authn.Resolve(ctx, c.opts.keychain, reg)
	if err != nil {
		return nil, fmt.Errorf("resolving credentials for %s: %w", host, err)
	}
	return a, nil
}

// transportFor returns the authenticated transport of one scope (a
// repository, or a registry's catalog), doing the ping and token exchange
// once. Concurrent callers wait for the first; a failure is not cached.
func (c *Client) transportFor(ctx context.Context, key, host string, reg name.Registry, scope string) (http.RoundTripper, error) {
	c.mu.Lock()
	e, ok := c.auths[key]
	if !ok {
		e = &authEntry{done: make(chan struct{})}
		c.auths[key] = e
		c.mu.Unlock()
		e.rt, e.err = c.authenticate(ctx, key, host, reg, scope)
		if e.err != nil {
			c.mu.Lock()
			delete(c.auths, key)
			c.mu.Unlock()
		}
		close(e.done)
		return e.rt, e.err
	}
	c.mu.Unlock()
	select {
	case <-e.done:
		return e.rt, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *Client) authenticate(ctx context.Context, key, host string, reg name.Registry, scope string) (http.RoundTripper, error) {
	auth, err := c.authenticator(ctx, host, reg)
	if err != nil {
		return nil, err
	}
	base := c.secure
	if c.isInsecure(host) {
		base = c.insecure
	}
	if err := c.slots.acquire(ctx, key); err != nil {
		return nil, err
	}
	defer c.slots.release(key)
	rt, err := transport.NewWithContext(ctx, reg, auth, transport.NewUserAgent(base, c.opts.userAgent), []string{scope})
	if err != nil {
		return nil, classify(fmt.Errorf("authenticating to %s: %w", host, err))
	}
	return rt, nil
}

// repoTransport returns the authenticated transport of a repository.
func (c *Client) repoTransport(ctx context.Context, repo string) (*repoConn, error) {
	r, err := c.repository(repo)
	if err != nil {
		return nil, err
	}
	action := transport.PullScope
	if c.opts.deleteScope {
		action = transport.DeleteScope
	}
	rt, err := c.transportFor(ctx, repo, retention.Host(repo), r.Registry, r.Scope(action))
	if err != nil {
		return nil, err
	}
	return &repoConn{c: c, repo: r, name: repo, rt: rt}, nil
}
