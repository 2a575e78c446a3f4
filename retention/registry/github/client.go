// Package github is regprune's provider for GitHub Container Registry:
// it lists a package's versions through the GitHub Packages REST API
// (every manifest, tagged or not, with its digest, tags and push time)
// and deletes through it, since ghcr.io refuses DELETE over the OCI API.
// Manifests and configs are read over the OCI API, by the registry
// client it wraps.
package github

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	gh "github.com/google/go-github/v93/github"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/registry"
	"github.com/regprune/regprune/retention/registry/internal/rest"
)

// Client lists and deletes on one GHCR host.
type Client struct {
	// OCI reads manifests, tags and blobs over the OCI API.
	registry.OCI
	api   *gh.Client
	host  string
	token string
	log   *slog.Logger

	mu     sync.Mutex
	owners map[string]owner // by owner name
	login  string
	// versionIDs caches, per repository, the version ID of each digest
	// from the last listing.
	versionIDs map[string]map[string]int64
	// waits is the REST side's wait account (the REST kit's); maxWait
	// the longest wait it sits out.
	waits   *rest.Waits
	maxWait time.Duration
}

var (
	_ registry.Provider = (*Client)(nil)
	_ registry.Deepener = (*Client)(nil)
	_ registry.Restorer = (*Client)(nil)
	_ registry.Waiter   = (*Client)(nil)
	_ registry.Scoper   = (*Client)(nil)
)

// Options configure a Client.
type Options struct {
	// Host is the registry host (ghcr.io, containers.HOST on GHES).
	Host string
	// APIURL is the REST base; default https://api.github.com.
	APIURL string
	// Token is a classic personal access token (read:packages,
	// delete:packages) or a workflow's GITHUB_TOKEN.
	Token string
	// MinWait is the least wait after a rate-limit answer without
	// retry-after or a reset time; default one minute, as GitHub asks.
	MinWait time.Duration
	// MaxWait caps every wait after a rate-limit answer; GitHub asking
	// for a longer one (retry-after, x-ratelimit-reset) fails the request
	// at once, naming the wait. Default rest.MaxWait (60 s).
	MaxWait time.Duration
	// Logger receives retries and waits; default discards.
	Logger *slog.Logger
	// Pacing keeps the REST side under the secondary limits; nil is
	// GitHub's documented limits on api.github.com (900 points a minute
	// per endpoint, 100 requests at once) and none elsewhere (GHES).
	Pacing *Pacing
	// Now and Sleep are the pacing's clock, and Now the one GitHub's
	// reset times are read against; default the real one. A test gives
	// both, to run minutes of pacing at once.
	Now   func() time.Time
	Sleep func(context.Context, time.Duration) error
}

// New returns a client for opts.Host that reads through oci.
func New(oci registry.OCI, o Options) (*Client, error) {
	if o.APIURL == "" {
		o.APIURL = "https://api.github.com"
	}
	if o.MinWait <= 0 {
		o.MinWait = time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Pacing == nil {
		o.Pacing = &Pacing{}
		if o.APIURL == "https://api.github.com" {
			o.Pacing = &Pacing{PointsPerMinute: DefaultPointsPerMinute, Concurrency: DefaultConcurrency}
		}
	}
	c := &Client{OCI: oci, host: o.Host, token: o.Token, log: o.Logger, owners: map[string]owner{}, versionIDs: map[string]map[string]int64{}}
	// The REST side's one retry layer, paced: 5xx back off from a
	// second; a 429 or a 403 that is a rate limit (limitAnswer) waits
	// what GitHub asks for, else MinWait, doubling, up to MaxWait. The
	// last answer goes to go-github, which reads GitHub's message.
	hc, waits := rest.NewHTTPClient(rest.Options{Service: "GitHub", WaitHeaders: waitHeaders, RateLimit: limitAnswer,
		MinWait: o.MinWait, MaxWait: o.MaxWait, Backoff: time.Second, Pacing: *o.Pacing, Cost: cost, Logger: o.Logger, Now: o.Now, Sleep: o.Sleep})
	c.waits, c.maxWait = waits, o.MaxWait
	opts := []gh.ClientOptionsFunc{gh.WithHTTPClient(hc), gh.WithDisableRateLimitCheck()}
	if o.Token != "" {
		opts = append(opts, gh.WithAuthToken(o.Token))
	}
	if o.APIURL != "https://api.github.com" {
		api := strings.TrimSuffix(o.APIURL, "/") + "/"
		opts = append(opts, gh.WithURLs(&api, &api))
	}
	api, err := gh.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("setting up the GitHub API client for %s: %w", o.APIURL, err)
	}
	c.api = api
	return c, nil
}

// Waited is how long the client waited so far: held back by its
// pacing, and after answers that a limit was hit.
func (c *Client) Waited() (paced, limited time.Duration) { return c.waits.Waited() }

// owner says how the API addresses a package owner: /orgs/{o},
// /users/{u}, or /user for the token's own user (/users/{u} lists only
// public packages).
type owner struct {
	name string
	org  bool
	self bool
}

func (o owner) path() string {
	switch {
	case o.org:
		return "orgs/" + o.name
	case o.self:
		return "user"
	}
	return "users/" + o.name
}

// split returns the owner and package of a repository HOST/OWNER/NAME.
func split(repo string) (string, string, error) {
	_, rest, _ := strings.Cut(repo, "/")
	o, pkg, ok := strings.Cut(rest, "/")
	if !ok || o == "" || pkg == "" {
		return "", "", fmt.Errorf("%s is not HOST/OWNER/PACKAGE", repo)
	}
	return o, pkg, nil
}

// packageOf returns the owner (resolved) and the package of a
// repository HOST/OWNER/PACKAGE.
func (c *Client) packageOf(ctx context.Context, repo string) (owner, string, error) {
	ownerName, pkg, err := split(repo)
	if err != nil {
		return owner{}, "", err
	}
	o, err := c.ownerOf(ctx, ownerName)
	return o, pkg, err
}

// ownerOf resolves an owner once: an organization, the token's user, or
// another user.
func (c *Client) ownerOf(ctx context.Context, name string) (owner, error) {
	c.mu.Lock()
	o, ok := c.owners[name]
	c.mu.Unlock()
	if ok {
		return o, nil
	}
	if err := c.ready(); err != nil {
		return owner{}, err
	}
	u, _, err := c.api.Users.Get(ctx, name)
	if err != nil {
		return owner{}, explain(fmt.Errorf("looking up owner %s: %w", name, err))
	}
	o = owner{name: name, org: u.GetType() == "Organization"}
	if !o.org {
		me, _, err := c.api.Users.Get(ctx, "")
		if err == nil {
			o.self = strings.EqualFold(me.GetLogin(), name)
		}
	}
	c.mu.Lock()
	c.owners[name] = o
	c.mu.Unlock()
	return o, nil
}

// ready refuses to call the API without a token: GitHub lists no
// package versions anonymously.
func (c *Client) ready() error {
	if c.token == "" {
		where := "the registry's password"
		if retention.CanonicalHost(c.host) == "ghcr.io" {
			where = "GITHUB_TOKEN or the registry's password"
		}
		return fmt.Errorf("%w: no token for the GitHub Packages API of %s: set %s (a classic PAT with read:packages, and delete:packages to delete)", retention.ErrDenied, c.host, where)
	}
	return nil
}
