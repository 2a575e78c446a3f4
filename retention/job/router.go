package job

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/execute"
	"github.com/regprune/regprune/retention/github"
	"github.com/regprune/regprune/retention/planner"
	"github.com/regprune/regprune/retention/registry"
)

// Router sends each repository to its registry's provider: the GitHub
// Packages provider for registries whose api is github, the OCI client
// for the others. It is what plan and apply are given.
type Router struct {
	oci    *registry.Client
	github map[string]*github.Client // by canonical host
}

var (
	_ planner.Lister         = (*Router)(nil)
	_ planner.Deepener       = (*Router)(nil)
	_ planner.Scoper         = (*Router)(nil)
	_ planner.ReferrerLister = (*Router)(nil)
	_ execute.Registry       = (*Router)(nil)
)

// NewRouter builds the providers the configuration names. token returns
// the REST token of a github registry when its password is empty
// (GITHUB_TOKEN for ghcr.io); it may be nil.
func NewRouter(cfg *retention.Config, oci *registry.Client, token func(host string) string, log *slog.Logger) (*Router, error) {
	r := &Router{oci: oci, github: map[string]*github.Client{}}
	hosts := map[string]retention.Registry{}
	for _, reg := range cfg.Registries {
		hosts[retention.CanonicalHost(reg.Host)] = reg
	}
	if _, ok := hosts["ghcr.io"]; !ok {
		hosts["ghcr.io"] = retention.Registry{Host: "ghcr.io"}
	}
	for canon, reg := range hosts {
		if cfg.APIFor(reg.Host) != retention.APIGitHub {
			continue
		}
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
		r.github[canon] = gc
	}
	return r, nil
}

// provider is the GitHub client of repo's host, or nil for OCI.
func (r *Router) provider(repo string) *github.Client {
	return r.github[retention.CanonicalHost(retention.Host(repo))]
}

// Scope is the scope a glob is expanded in: HOST/OWNER on GitHub's
// registries, which list packages per owner; the host elsewhere.
func (r *Router) Scope(pattern string) string {
	if r.provider(pattern) != nil {
		return github.Scope(pattern)
	}
	return retention.Host(pattern)
}

// Catalog lists the repositories of a scope: a host's catalog, or a
// GitHub owner's container packages.
func (r *Router) Catalog(ctx context.Context, scope string) ([]string, error) {
	if g := r.provider(scope); g != nil {
		return g.Catalog(ctx, scope)
	}
	return r.oci.Catalog(ctx, scope)
}

// List lists one repository through its provider.
func (r *Router) List(ctx context.Context, repo string, needTime bool, now time.Time) (retention.Listing, error) {
	if g := r.provider(repo); g != nil {
		return g.List(ctx, repo, needTime, now)
	}
	return r.oci.List(ctx, repo, needTime, now)
}

// Deepen reads the manifests of a shallow listing.
func (r *Router) Deepen(ctx context.Context, l retention.Listing, now time.Time) (retention.Listing, error) {
	return r.oci.Describe(ctx, l, false, now)
}

// Referrers asks the OCI referrers API; GHCR has none (its referrers
// are untagged versions with a subject, which its listing shows).
func (r *Router) Referrers(ctx context.Context, repo, digest string) ([]v1.Descriptor, bool, error) {
	if r.provider(repo) != nil {
		return nil, false, nil
	}
	return r.oci.Referrers(ctx, repo, digest)
}

// ListTags lists the tags of repo.
func (r *Router) ListTags(ctx context.Context, repo string) ([]string, error) {
	if g := r.provider(repo); g != nil {
		return g.ListTags(ctx, repo)
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

// Children lists an index's manifests.
func (r *Router) Children(ctx context.Context, repo, digest string) ([]v1.Descriptor, error) {
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
	if g := r.provider(repo); g != nil {
		return true, g.RestoreVersion(ctx, repo, digest)
	}
	return false, nil
}

// RawManifest reads a manifest's bytes over the OCI API.
func (r *Router) RawManifest(ctx context.Context, repo, digest string) ([]byte, string, error) {
	return r.oci.RawManifest(ctx, repo, digest)
}

// DeleteTag deletes one tag through repo's provider.
func (r *Router) DeleteTag(ctx context.Context, repo, tag string) error {
	if g := r.provider(repo); g != nil {
		return g.DeleteTag(ctx, repo, tag)
	}
	return r.oci.DeleteTag(ctx, repo, tag)
}

// DeleteDigest deletes a manifest through repo's provider.
func (r *Router) DeleteDigest(ctx context.Context, repo, digest string) error {
	if g := r.provider(repo); g != nil {
		return g.DeleteDigest(ctx, repo, digest)
	}
	return r.oci.DeleteDigest(ctx, repo, digest)
}

// Waited is how long the GitHub clients waited so far: held back by
// their pacing, and after answers that a limit was hit.
func (r *Router) Waited() (paced, limited time.Duration) {
	for _, g := range r.github {
		p, l := g.Waited()
		paced += p
		limited += l
	}
	return paced, limited
}
