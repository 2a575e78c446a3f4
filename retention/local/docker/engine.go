package docker

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/moby/moby/client"

	"github.com/regprune/regprune/retention"
)

// Engine is a connection to one Docker Engine, with the API version it
// negotiated. Close it when done.
type Engine struct {
	// Host is the engine's address ("unix:///var/run/docker.sock").
	Host string
	// Source says how Host was found: "configuration", "DOCKER_HOST",
	// "docker context <name>" or "platform default".
	Source string
	// Version is the engine's version; APIVersion the negotiated API
	// version, which decides the requests this package sends.
	Version    string
	APIVersion string
	// MaxAPIVersion is the newest API version the engine offers.
	MaxAPIVersion string

	cli *client.Client
}

// HostError says that the engine at Host could not be reached or used.
type HostError struct {
	Host string
	Err  error
}

func (e *HostError) Error() string {
	return "connecting to docker engine at " + e.Host + ": " + e.Err.Error()
}

func (e *HostError) Unwrap() error { return e.Err }

// Connect finds the engine (host "" means DOCKER_HOST, else the docker
// CLI's current context, else the platform's default socket), negotiates
// the API version and reads the engine's version. An unreachable socket or
// a permission error is a *HostError that names the host.
func Connect(ctx context.Context, host string, opts ...Option) (*Engine, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	ep, err := resolveHost(host)
	if err != nil {
		return nil, &HostError{Host: describeUnresolved(host), Err: err}
	}
	fail := func(err error) (*Engine, error) {
		return nil, &HostError{Host: ep.host, Err: err}
	}
	if strings.HasPrefix(ep.host, "ssh://") {
		// The Go client dials unix, npipe and tcp only.
		return fail(errors.New("ssh:// hosts are not supported; forward the engine's socket (ssh -nNT -L /tmp/docker.sock:/var/run/docker.sock host) and use unix:///tmp/docker.sock"))
	}
	copts := []client.Opt{client.WithHost(ep.host)}
	if ep.source == "DOCKER_HOST" {
		// FromEnv also reads DOCKER_TLS_VERIFY, DOCKER_CERT_PATH and
		// DOCKER_API_VERSION, which go with DOCKER_HOST.
		copts = []client.Opt{client.FromEnv}
	}
	if ep.tlsDir != "" {
		copts = append(copts, client.WithTLSClientConfig(
			filepath.Join(ep.tlsDir, "ca.pem"), filepath.Join(ep.tlsDir, "cert.pem"), filepath.Join(ep.tlsDir, "key.pem")))
	}
	cli, err := client.New(copts...)
	if err != nil {
		return fail(err)
	}
	ping, err := cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true})
	if err != nil {
		cli.Close()
		return fail(err)
	}
	v, err := cli.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		cli.Close()
		return fail(fmt.Errorf("reading the engine's version: %w", err))
	}
	e := &Engine{
		Host:          ep.host,
		Source:        ep.source,
		Version:       v.Version,
		APIVersion:    cli.ClientVersion(),
		MaxAPIVersion: ping.APIVersion,
		cli:           cli,
	}
	o.log.Info("connected to docker engine", "host", e.Host, "source", e.Source,
		"engine", e.Version, "api", e.APIVersion, "engineMaxAPI", e.MaxAPIVersion)
	return e, nil
}

func describeUnresolved(host string) string {
	if host != "" {
		return host
	}
	return "(current docker context)"
}

// Close releases the engine's connections.
func (e *Engine) Close() error {
	if e == nil || e.cli == nil {
		return nil
	}
	return e.cli.Close()
}

// Cache names the engine as a local cache: "docker <host>".
func (e *Engine) Cache() string { return "docker " + e.Host }

// versionNote is the CachePlan note with the engine's versions.
func (e *Engine) versionNote() string {
	return fmt.Sprintf("engine %s at %s (%s), API %s negotiated (engine offers up to %s)",
		e.Version, e.Host, e.Source, e.APIVersion, e.MaxAPIVersion)
}

// FailedPlan is the plan of an engine Connect could not reach: no
// deletions, and an error that names the host.
func FailedPlan(err error) retention.CachePlan {
	host := "(unknown host)"
	var he *HostError
	if errors.As(err, &he) {
		host = he.Host
	}
	return retention.CachePlan{
		Cache:        "docker " + host,
		Kind:         "docker",
		Error:        err.Error(),
		Repositories: []retention.RepoPlan{},
	}
}
