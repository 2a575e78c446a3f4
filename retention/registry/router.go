package registry

import (
	"context"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/regprune/regprune/retention"
)

// Router sends each repository to its registry's provider: the provider
// of the API registered for its host (by its registries entry's api, else
// the host's default), the OCI client for the others. It is the one place
// that routes a repository to its provider, and what plan and apply are
// given: it satisfies the planner's and the executor's small interfaces
// structurally.
type Router struct {
	oci       OCI
	providers map[string]Provider // by canonical host
}

// NewRouter builds the providers the configuration and the registered
// APIs name: one for each configured registry whose api has a provider,
// and one for each registered default host (ghcr.io, docker.io).
func NewRouter(cfg *retention.Config, env Env) (*Router, error) {
	r := &Router{oci: env.OCI, providers: map[string]Provider{}}
	hosts := map[string]retention.Registry{}
	for _, reg := range cfg.Registries {
		hosts[retention.CanonicalHost(reg.Host)] = reg
	}
	for _, h := range defaultHosts() {
		if _, ok := hosts[retention.CanonicalHost(h)]; !ok {
			hosts[retention.CanonicalHost(h)] = retention.Registry{Host: h}
		}
	}
	for canon, reg := range hosts {
		p, err := providerFor(cfg, reg, env)
		if err != nil {
			return nil, err
		}
		if p != nil {
			r.providers[canon] = p
		}
	}
	return r, nil
}

// provider is the provider of repo's host, or nil for OCI.
func (r *Router) provider(repo string) Provider {
	return r.providers[retention.CanonicalHost(retention.Host(repo))]
}

// of returns repo's provider, the OCI client where it has none.
func (r *Router) of(repo string) Provider {
	if p := r.provider(repo); p != nil {
		return p
	}
	return r.oci
}

// Scope is the scope a glob is expanded in: what the provider says
// (HOST/OWNER on GitHub, HOST/NAMESPACE on Docker Hub); the host elsewhere.
func (r *Router) Scope(pattern string) string {
	if s, ok := r.provider(pattern).(Scoper); ok {
		return s.Scope(pattern)
	}
	return retention.Host(pattern)
}

// Catalog lists the repositories of a scope through its provider.
func (r *Router) Catalog(ctx context.Context, scope string) ([]string, error) {
	return r.of(scope).Catalog(ctx, scope)
}

// List lists one repository through its provider.
func (r *Router) List(ctx context.Context, repo string, needTime bool, now time.Time) (retention.Listing, error) {
	return r.of(repo).List(ctx, repo, needTime, now)
}

// Deepen reads the manifests of a shallow listing through its provider,
// so that the provider's limits hold on the path plan and apply take
// (Docker Hub reads only what the plan deletes, after its pull-limit
// guard); a listing of any other registry is described over the OCI API.
func (r *Router) Deepen(ctx context.Context, l retention.Listing, want []string, now time.Time) (retention.Listing, error) {
	if d, ok := r.provider(l.Repository).(Deepener); ok {
		return d.Deepen(ctx, l, want, now)
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

// ListTags lists the tags of repo through its provider.
func (r *Router) ListTags(ctx context.Context, repo string) ([]string, error) {
	return r.of(repo).ListTags(ctx, repo)
}

// ResolveTag resolves a tag with a HEAD over the OCI API.
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
	if m, ok := r.provider(repo).(ManifestReader); ok {
		return m.Children(ctx, repo, digest)
	}
	return r.oci.Children(ctx, repo, digest)
}

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
	if p, ok := r.provider(repo).(Restorer); ok {
		return true, p.RestoreVersion(ctx, repo, digest)
	}
	return false, nil
}

// RawManifest reads a manifest's bytes, through a provider that reads
// manifests itself (Docker Hub: once a run).
func (r *Router) RawManifest(ctx context.Context, repo, digest string) ([]byte, string, error) {
	if m, ok := r.provider(repo).(ManifestReader); ok {
		return m.RawManifest(ctx, repo, digest)
	}
	return r.oci.RawManifest(ctx, repo, digest)
}

// ReadBudget says whether reading digests fits repo's provider's read
// budget; a registry without one has no limit (nil).
func (r *Router) ReadBudget(ctx context.Context, repo string, digests []string) error {
	if b, ok := r.provider(repo).(Budgeter); ok {
		return b.ReadBudget(ctx, repo, digests)
	}
	return nil
}

// DeleteTag deletes one tag through repo's provider.
func (r *Router) DeleteTag(ctx context.Context, repo, tag string) error {
	return r.of(repo).DeleteTag(ctx, repo, tag)
}

// DeleteDigest deletes a manifest through repo's provider, with the
// tags the gate checked on it (a digest DELETE over the OCI API takes
// the tags on the manifest, which the gate found to be these).
func (r *Router) DeleteDigest(ctx context.Context, repo, digest string, tags []string) error {
	return r.of(repo).DeleteDigest(ctx, repo, digest, tags)
}

// Waited is how long the providers waited so far: held back by their
// pacing, and after answers that a limit was hit.
func (r *Router) Waited() (paced, limited time.Duration) {
	for _, p := range r.providers {
		if w, ok := p.(Waiter); ok {
			pp, l := w.Waited()
			paced += pp
			limited += l
		}
	}
	return paced, limited
}

// OwnerScope is the scope of a registry listed per owner or namespace
// (GitHub, Docker Hub): HOST/OWNER when the pattern names its owner
// literally, else HOST (whose Catalog then fails, saying why).
func OwnerScope(pattern string) string {
	host, rest, _ := strings.Cut(pattern, "/")
	o, _, ok := strings.Cut(rest, "/")
	if !ok || o == "" || strings.ContainsAny(o, "*?[{\\") {
		return host
	}
	return host + "/" + o
}
