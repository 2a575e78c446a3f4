// Package dockerhub lists and prunes Docker Hub repositories through the
// Hub API, which gives every tag's digest, push time and pull time, and
// deletes tags (Docker Hub refuses a tag DELETE over the OCI API, and a
// digest DELETE while a tag points at the manifest). Manifests are read,
// and untagged manifests deleted, over the OCI API.
package dockerhub

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/registry"
	"github.com/regprune/regprune/retention/registry/internal/rest"
)

// Client is the Docker Hub provider. Its embedded registry client reads
// manifests and deletes untagged ones over the OCI API.
type Client struct {
	registry.OCI
	api      string
	user     string
	secret   string
	http     *http.Client
	log      *slog.Logger
	mu       sync.Mutex
	jwt      string
	creds    func() (string, string)
	tagsOf   map[string]map[string][]string // repo -> digest -> tags, from the last listing
	read     map[string]rawManifest         // "repo@digest" -> the manifest read (manifests.go)
	waits    *rest.Waits
	loginOld bool // /v2/auth/token is missing: /v2/users/login
}

// Options configure a Client.
type Options struct {
	// APIURL is the Hub API's base; default https://hub.docker.com.
	APIURL string
	// Username and Secret (a password, a personal or an organization
	// access token) log in to the Hub API; without them, Credentials is
	// asked once, at the first login (the Docker config's, say).
	Username, Secret string
	Credentials      func() (username, secret string)
	// MinWait is the least wait after a 429 without a usable retry
	// header; default one second.
	MinWait time.Duration
	// MaxWait caps every wait after a 429; the Hub API asking for a
	// longer one (Retry-After, X-Retry-After) fails the request at once,
	// naming the wait. Default rest.MaxWait (60 s).
	MaxWait time.Duration
	Logger  *slog.Logger
}

// New returns a Docker Hub client that reads through oci.
func New(oci registry.OCI, o Options) *Client {
	if o.APIURL == "" {
		o.APIURL = "https://hub.docker.com"
	}
	if o.MinWait <= 0 {
		o.MinWait = time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Client{OCI: oci, api: strings.TrimSuffix(o.APIURL, "/"), user: o.Username, secret: o.Secret, creds: o.Credentials, log: o.Logger, tagsOf: map[string]map[string][]string{}, read: map[string]rawManifest{}}
	// The Hub API's one retry layer (the REST kit's), unpaced: 5xx and
	// transport errors back off from half a second; a 429 waits
	// Retry-After seconds, or until X-Retry-After (a unix time, from
	// older deployments), else MinWait, doubling, up to MaxWait.
	c.http, c.waits = rest.NewHTTPClient(rest.Options{Service: "Docker Hub API", WaitHeaders: []string{rest.RetryAfter, rest.XRetryAfter},
		MinWait: o.MinWait, MaxWait: o.MaxWait, Backoff: 500 * time.Millisecond, Logger: o.Logger})
	return c
}

// Waited is how long the client waited for the Hub API's rate limit.
func (c *Client) Waited() (paced, limited time.Duration) { return c.waits.Waited() }

// login gets a bearer JWT (it lasts about ten minutes): /v2/auth/token,
// else the deprecated /v2/users/login where the newer call is missing.
func (c *Client) login(ctx context.Context) (string, error) {
	c.mu.Lock()
	if c.user == "" && c.creds != nil {
		c.user, c.secret = c.creds()
		c.creds = nil
	}
	c.mu.Unlock()
	if c.user == "" || c.secret == "" {
		return "", fmt.Errorf("%w: no credentials for the Docker Hub API: set the registry's username and password (an access token)", retention.ErrDenied)
	}
	c.mu.Lock()
	old := c.loginOld
	c.mu.Unlock()
	path, body, field := "/v2/auth/token", map[string]string{"identifier": c.user, "secret": c.secret}, "access_token"
	if old {
		path, body, field = "/v2/users/login", map[string]string{"username": c.user, "password": c.secret}, "token"
	}
	var out map[string]any
	status, err := c.send(ctx, http.MethodPost, c.api+path, "", body, &out)
	switch {
	case err != nil:
		return "", err
	case status == http.StatusNotFound && !old:
		c.mu.Lock()
		c.loginOld = true
		c.mu.Unlock()
		return c.login(ctx)
	case status == http.StatusUnauthorized:
		return "", fmt.Errorf("%w: Docker Hub refused the credentials of %s", retention.ErrDenied, c.user)
	case status != http.StatusOK:
		return "", fmt.Errorf("logging in to the Docker Hub API: %d", status)
	}
	tok, _ := out[field].(string)
	if tok == "" {
		return "", fmt.Errorf("logging in to the Docker Hub API: no %s in the answer", field)
	}
	c.mu.Lock()
	c.jwt = tok
	c.mu.Unlock()
	return tok, nil
}

// call sends an authenticated API request, logging in first and again
// once on a 401 (the token expired), and decodes a JSON answer into out.
func (c *Client) call(ctx context.Context, method, url string, out any) (int, error) {
	for attempt := 0; attempt < 2; attempt++ {
		c.mu.Lock()
		tok := c.jwt
		c.mu.Unlock()
		if tok == "" || attempt > 0 {
			var err error
			if tok, err = c.login(ctx); err != nil {
				return 0, err
			}
		}
		status, err := c.send(ctx, method, url, tok, nil, out)
		if err != nil || status != http.StatusUnauthorized {
			return status, err
		}
	}
	return 0, fmt.Errorf("%w: the Docker Hub API refused a fresh token", retention.ErrDenied)
}

func (c *Client) send(ctx context.Context, method, url, tok string, body any, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return 0, fmt.Errorf("%s %s: reading the answer: %w", method, url, err)
	}
	if out != nil && resp.StatusCode/100 == 2 && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return 0, fmt.Errorf("%s %s: the answer is not the JSON expected: %w", method, url, err)
		}
	}
	return resp.StatusCode, nil
}

// split returns the namespace and name of HOST/NAMESPACE/NAME; an
// official image (docker.io/nginx) is library/nginx.
func split(repo string) (string, string, error) {
	_, rest, _ := strings.Cut(repo, "/")
	ns, name, ok := strings.Cut(rest, "/")
	if !ok {
		ns, name = "library", rest
	}
	if ns == "" || name == "" || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("%s is not HOST/NAMESPACE/NAME", repo)
	}
	return ns, name, nil
}

// Scope is what a glob is expanded within: HOST/NAMESPACE when the
// pattern names its namespace literally (the Hub API lists repositories
// per namespace), else HOST.
func (c *Client) Scope(pattern string) string { return registry.OwnerScope(pattern) }

// pullCounter reads the pull limit the registry announces with a HEAD
// (the oci package's Client does).
type pullCounter interface {
	PullsRemaining(ctx context.Context, repo, tag string) (remaining int, ok bool, err error)
}

// PullsRemaining reads Docker Hub's remaining pulls through the OCI
// reader; ok is false when it cannot say.
func (c *Client) PullsRemaining(ctx context.Context, repo, tag string) (int, bool, error) {
	if p, ok := c.OCI.(pullCounter); ok {
		return p.PullsRemaining(ctx, repo, tag)
	}
	return 0, false, nil
}
