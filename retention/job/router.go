package job

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/execute"
	"github.com/regprune/regprune/retention/planner"
	"github.com/regprune/regprune/retention/registry/dockerhub"
	"github.com/regprune/regprune/retention/registry/github"
	"github.com/regprune/regprune/retention/registry/oci"
)

// provider is a registry reached through its own API (GitHub Packages,
// Docker Hub): it lists and deletes there, and reads manifests over the
// OCI API. The OCI client is the provider of every other oci.
type provider interface {
	Catalog(ctx context.Context, scope string) ([]string, error)
	List(ctx context.Context, repo string, needTime bool, now time.Time) (retention.Listing, error)
	// Deepen reads what a plan of a shallow listing needs read (see
	// planner.Deepener), behind the provider's own limits (Docker Hub's
	// pull-limit guard).
	Deepen(ctx context.Context, l retention.Listing, want []string, now time.Time) (retention.Listing, error)
	ListTags(ctx context.Context, repo string) ([]string, error)
	DeleteTag(ctx context.Context, repo, tag string) error
	// DeleteDigest deletes a manifest and exactly the tags given, which
	// the executor's gate checked.
	DeleteDigest(ctx context.Context, repo, digest string, tags []string) error
	Waited() (paced, limited time.Duration)
}

var (
	_ provider = (*github.Client)(nil)
	_ provider = (*dockerhub.Client)(nil)
)

// Router sends each repository to its registry's provider: the GitHub
// Packages provider for registries whose api is github, the Docker Hub
// provider for dockerhub, the OCI client for the others. It is what plan
// and apply are given.
type Router struct {
	oci       *oci.Client
	providers map[string]provider // by canonical host
}

var (
	_ planner.Lister         = (*Router)(nil)
	_ planner.Deepener       = (*Router)(nil)
	_ planner.Scoper         = (*Router)(nil)
	_ planner.ReferrerLister = (*Router)(nil)
	_ execute.Registry       = (*Router)(nil)
	_ execute.Budgeter       = (*Router)(nil)
	_ execute.Budgeter       = (*dockerhub.Client)(nil)
)

// NewRouter builds the providers the configuration names. token returns
// the REST token of a github registry when its password is empty
// (GITHUB_TOKEN for ghcr.io); it may be nil.
func NewRouter(cfg *retention.Config, oci *oci.Client, token func(host string) string, log *slog.Logger) (*Router, error) {
	r := &Router{oci: oci, providers: map[string]provider{}}
	hosts := map[string]retention.Registry{}
	for _, reg := range cfg.Registries {
		hosts[retention.CanonicalHost(reg.Host)] = reg
	}
	for _, h := range []string{"ghcr.io", "docker.io"} {
		if _, ok := hosts[h]; !ok {
			hosts[h] = retention.Registry{Host: h}
		}
	}
	for canon, reg := range hosts {
		switch cfg.APIFor(reg.Host) {
		case retention.APIGitHub:
			gc, err := newGitHub(oci, reg, token, log)
			if err != nil {
				return nil, err
			}
			r.providers[canon] = gc
		case retention.APIDockerHub:
			r.providers[canon] = dockerhub.New(oci, dockerhub.Options{APIURL: reg.APIURL, Username: reg.Username, Secret: reg.Password.Reveal(), Credentials: dockerConfigCredentials, Logger: log})
		}
	}
	return r, nil
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

func newGitHub(oci *oci.Client, reg retention.Registry, token func(string) string, log *slog.Logger) (*github.Client, error) {
	tok := reg.Password.Reveal()
	if tok == "" && token != nil {
		tok = token(reg.Host)
	}
	o := github.Options{Host: reg.Host, APIURL: reg.APIURL, Token: tok, Logger: log}
	if p := reg.Pacing; p != nil {
		o.Pacing = &github.Pacing{PointsPerMinute: p.PointsPerMinute, Concurrency: p.Concurrency}
	}
	gc, err := github.New(oci, o)
	if err != nil {
		return nil, fmt.Errorf("registries: %s: %w", reg.Host, err)
	}
	return gc, nil
}

// provider is the provider of repo's host, or nil for OCI.
func (r *Router) provider(repo string) provider {
	return r.providers[retention.CanonicalHost(retention.Host(repo))]
}

// Scope is the scope a glob is expanded in: HOST/OWNER on registries
// listed per owner or namespace (GitHub, Docker Hub); the host elsewhere.
func (r *Router) Scope(pattern string) string {
	if r.provider(pattern) != nil {
		return github.Scope(pattern)
	}
	return retention.Host(pattern)
}

// Catalog lists the repositories of a scope: a host's catalog, or a
// GitHub owner's packages, or a Docker Hub namespace's repositories.
func (r *Router) Catalog(ctx context.Context, scope string) ([]string, error) {
	if p := r.provider(scope); p != nil {
		return p.Catalog(ctx, scope)
	}
	return r.oci.Catalog(ctx, scope)
}

// List lists one repository through its provider.
func (r *Router) List(ctx context.Context, repo string, needTime bool, now time.Time) (retention.Listing, error) {
	if p := r.provider(repo); p != nil {
		return p.List(ctx, repo, needTime, now)
	}
	return r.oci.List(ctx, repo, needTime, now)
}

// Deepen reads the manifests of a shallow listing through its provider,
// so that the provider's limits hold on the path plan and apply take
// (Docker Hub reads only what the plan deletes, after its pull-limit
// guard); a listing of another registry is described over the OCI API.
func (r *Router) Deepen(ctx context.Context, l retention.Listing, want []string, now time.Time) (retention.Listing, error) {
	if p := r.provider(l.Repository); p != nil {
		return p.Deepen(ctx, l, want, now)
	}
	return r.oci.Describe(ctx, l, false, now)
}

// Referrers asks the OCI referrers API; the providers' registries have
// none (their referrers are in their listings).
func (r *Router) Referrers(ctx context.Context, repo, digest string) ([]v1.Descriptor, bool, error) {
	if r.provider(repo) != nil {
		return nil, false, nil
	}
	return r.oci.Referrers(ctx, repo, digest)
}

// ListTags lists the tags of repo.
func (r *Router) ListTags(ctx context.Context, repo string) ([]string, error) {
	if p := r.provider(repo); p != nil {
		return p.ListTags(ctx, repo)
	}
	return r.oci.ListTags(ctx, repo)
}

// ResolveTag, ReadTag, Children and Exists read over the OCI API.
func (r *Router) ResolveTag(ctx context.Context, repo, tag string) (string, string, error) {
	return r.oci.ResolveTag(ctx, repo, tag)
}

// ReadTag resolves a tag from its manifest.
func (r *Router) ReadTag(ctx context.Context, repo, tag string) (string, string, error) {
	return r.oci.ReadTag(ctx, repo, tag)
}

// Children lists an index's manifests, through a provider that reads
// manifests itself (Docker Hub: from what it read already).
func (r *Router) Children(ctx context.Context, repo, digest string) ([]v1.Descriptor, error) {
	if p, ok := r.provider(repo).(manifestReader); ok {
		return p.Children(ctx, repo, digest)
	}
	return r.oci.Children(ctx, repo, digest)
}

// manifestReader is a provider that reads manifests itself: Docker Hub,
// where each read is a pull, keeps what it read (by digest) and serves
// it again.
type manifestReader interface {
	RawManifest(ctx context.Context, repo, digest string) ([]byte, string, error)
	Children(ctx context.Context, repo, digest string) ([]v1.Descriptor, error)
}

var _ manifestReader = (*dockerhub.Client)(nil)

// Exists reports whether a manifest exists.
func (r *Router) Exists(ctx context.Context, repo, digest string) (bool, error) {
	return r.oci.Exists(ctx, repo, digest)
}

// PutManifest pushes a manifest over the OCI API (restore).
func (r *Router) PutManifest(ctx context.Context, repo, ref, mediaType string, body []byte) (string, error) {
	return r.oci.PutManifest(ctx, repo, ref, mediaType, body)
}

// RestoreVersion brings a deleted manifest back through its provider's
// own restore, where it has one (GitHub); handled is false elsewhere.
func (r *Router) RestoreVersion(ctx context.Context, repo, digest string) (handled bool, err error) {
	if g, ok := r.provider(repo).(*github.Client); ok {
		return true, g.RestoreVersion(ctx, repo, digest)
	}
	return false, nil
}

// RawManifest reads a manifest's bytes over the OCI API, through a
// provider that reads manifests itself (Docker Hub: once a run).
func (r *Router) RawManifest(ctx context.Context, repo, digest string) ([]byte, string, error) {
	if p, ok := r.provider(repo).(manifestReader); ok {
		return p.RawManifest(ctx, repo, digest)
	}
	return r.oci.RawManifest(ctx, repo, digest)
}

// ReadBudget is the executor's Budgeter: a provider that limits
// manifest reads (Docker Hub's pull limit) says whether reading digests
// fits; every other registry has no such limit (nil).
func (r *Router) ReadBudget(ctx context.Context, repo string, digests []string) error {
	if b, ok := r.provider(repo).(execute.Budgeter); ok {
		return b.ReadBudget(ctx, repo, digests)
	}
	return nil
}

// DeleteTag deletes one tag through repo's provider.
func (r *Router) DeleteTag(ctx context.Context, repo, tag string) error {
	if p := r.provider(repo); p != nil {
		return p.DeleteTag(ctx, repo, tag)
	}
	return r.oci.DeleteTag(ctx, repo, tag)
}

// DeleteDigest deletes a manifest through repo's provider, with the
// tags the gate checked on it (a digest DELETE over the OCI API takes
// the tags on the manifest, which the gate found to be these).
func (r *Router) DeleteDigest(ctx context.Context, repo, digest string, tags []string) error {
	if p := r.provider(repo); p != nil {
		return p.DeleteDigest(ctx, repo, digest, tags)
	}
	return r.oci.DeleteDigest(ctx, repo, digest, tags)
}

// Waited is how long the providers waited so far: held back by their
// pacing, and after answers that a limit was hit.
func (r *Router) Waited() (paced, limited time.Duration) {
	for _, p := range r.providers {
		pp, l := p.Waited()
		paced += pp
		limited += l
	}
	return paced, limited
}
