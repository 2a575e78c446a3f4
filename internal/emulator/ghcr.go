package emulator

import (
	"io"
	"log"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

// GHCR emulates GitHub Container Registry from its documented behaviour
// (research/provider-apis.md part A): an OCI side over go-containerregistry's
// in-memory registry that hands out tokens, refuses DELETE with 405
// UNSUPPORTED and has no _catalog and no referrers API; and a REST side
// serving the GitHub Packages API for containers, where every manifest
// pushed is a package version.
//
// Its choices where GitHub documents nothing: versions list newest first;
// a deleted version answers 404 on get; a restored version comes back
// without its tags.
type GHCR struct {
	// Host, URL and APIURL (the REST side's base), Close and Repo.
	twoSided

	cfg   ghcrConfig
	inner http.Handler

	mu        sync.Mutex
	nextID    int64
	pkgs      map[string]*ghcrPackage // by owner + "/" + name
	issued    map[string]bool         // OCI side bearer tokens
	reqs      []GHCRRequest
	faults    []GHCRFault
	points    map[string][]time.Time // pacing: request times by endpoint
	remaining map[string]int         // x-ratelimit-remaining by token
	before    func(side string, r *http.Request)
}

// GHCRTokenKind is the kind of a token the emulator accepts.
type GHCRTokenKind int

const (
	// TokenClassic is a personal access token (classic), with scopes.
	TokenClassic GHCRTokenKind = iota
	// TokenFineGrained is a fine-grained PAT, which every package
	// endpoint refuses.
	TokenFineGrained
	// TokenActions is a workflow's GITHUB_TOKEN: it cannot list packages,
	// nor delete versions of user-owned ones.
	TokenActions
)

type ghcrToken struct {
	login  string
	kind   GHCRTokenKind
	scopes []string
}

func (t ghcrToken) has(scope string) bool {
	for _, s := range t.scopes {
		if s == scope {
			return true
		}
	}
	return false
}

type ghcrConfig struct {
	orgs, users map[string]bool
	tokens      map[string]ghcrToken
	now         func() time.Time
	pacing      int
}

// GHCROption configures the emulator.
type GHCROption func(*ghcrConfig)

// WithGHCROrg names owners that are organizations. Default "acme" when no
// owner is named at all.
func WithGHCROrg(names ...string) GHCROption {
	return func(c *ghcrConfig) {
		for _, n := range names {
			c.orgs[n] = true
		}
	}
}

// WithGHCRUser names owners that are users (token owners are users too).
func WithGHCRUser(names ...string) GHCROption {
	return func(c *ghcrConfig) {
		for _, n := range names {
			c.users[n] = true
		}
	}
}

// WithGHCRToken adds a token the emulator accepts, owned by user login.
// Without any, both sides accept every request as a classic token of
// "octocat" with every scope.
func WithGHCRToken(token, login string, kind GHCRTokenKind, scopes ...string) GHCROption {
	return func(c *ghcrConfig) {
		c.tokens[token] = ghcrToken{login: login, kind: kind, scopes: scopes}
		if kind != TokenActions {
			c.users[login] = true
		}
	}
}

// WithGHCRClock sets the clock of created_at, updated_at and deleted_at.
// Default time.Now.
func WithGHCRClock(now func() time.Time) GHCROption {
	return func(c *ghcrConfig) { c.now = now }
}

// WithGHCRPacing enforces GitHub's secondary limit of n points a minute
// per endpoint (GET 1 point, DELETE, POST, PUT and PATCH 5), over the
// last 60 seconds of real time: beyond it, 403 with retry-after 60.
// Default 0: not enforced.
func WithGHCRPacing(pointsPerMinute int) GHCROption {
	return func(c *ghcrConfig) { c.pacing = pointsPerMinute }
}

// StartGHCR starts the emulator on loopback; the caller closes it.
func StartGHCR(opts ...GHCROption) *GHCR {
	cfg := ghcrConfig{orgs: map[string]bool{}, users: map[string]bool{}, tokens: map[string]ghcrToken{}, now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	if len(cfg.orgs) == 0 && len(cfg.users) == 0 {
		cfg.orgs["acme"] = true
	}
	g := &GHCR{
		cfg:       cfg,
		inner:     registry.New(registry.Logger(log.New(io.Discard, "", 0))),
		pkgs:      map[string]*ghcrPackage{},
		issued:    map[string]bool{},
		points:    map[string][]time.Time{},
		remaining: map[string]int{},
	}
	g.start(http.HandlerFunc(g.serveOCI), g.restMux())
	return g
}

// GHCRVersion is one package version as the emulator holds it.
type GHCRVersion struct {
	ID        int64
	Digest    string
	Tags      []string
	CreatedAt time.Time
	// DeletedAt is zero while the version is active.
	DeletedAt time.Time
}

// Versions returns every version of a package, deleted ones included,
// by ID.
func (g *GHCR) Versions(owner, pkg string) []GHCRVersion {
	g.mu.Lock()
	defer g.mu.Unlock()
	p := g.pkgs[owner+"/"+pkg]
	if p == nil {
		return nil
	}
	var out []GHCRVersion
	for _, v := range p.versions {
		out = append(out, GHCRVersion{ID: v.id, Digest: v.digest, Tags: append([]string{}, v.tags...), CreatedAt: v.created, DeletedAt: v.deleted})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// SetPushed sets the created_at and updated_at of the active version
// with digest.
func (g *GHCR) SetPushed(owner, pkg, digest string, t time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if v := g.active(owner+"/"+pkg, digest); v != nil {
		v.created, v.updated = t, t
	}
}

// SetVisibility sets a package's visibility: public, private (default)
// or internal.
func (g *GHCR) SetVisibility(owner, pkg, visibility string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if p := g.pkgs[owner+"/"+pkg]; p != nil {
		p.visibility = visibility
	}
}

// SetDownloads sets a version's download count (a public version with
// more than 5000 cannot be deleted).
func (g *GHCR) SetDownloads(owner, pkg, digest string, n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if v := g.active(owner+"/"+pkg, digest); v != nil {
		v.downloads = n
	}
}

// GHCRRequest is one request either side served.
type GHCRRequest struct {
	// Side is "rest" or "oci".
	Side, Method string
	// Path is the escaped path as sent.
	Path, RawQuery string
	Status         int
	Authorization  string
}

// Requests returns every request served, in arrival order.
func (g *GHCR) Requests() []GHCRRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]GHCRRequest(nil), g.reqs...)
}

// ResetRequests forgets the requests served so far.
func (g *GHCR) ResetRequests() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.reqs = nil
}

// Before sets a hook called with every request, on either side ("oci"
// or "rest"), before it is answered: a test changes the registry there
// (a CI push mid-apply), and the request sees the change. The hook may
// send requests to the emulator itself. nil removes it.
func (g *GHCR) Before(hook func(side string, r *http.Request)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.before = hook
}

// runBefore calls the hook Before set, if any.
func (g *GHCR) runBefore(side string, r *http.Request) {
	g.mu.Lock()
	hook := g.before
	g.mu.Unlock()
	if hook != nil {
		hook(side, r)
	}
}
