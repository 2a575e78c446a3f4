package registry

import (
	"context"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/regprune/regprune/retention"
)

// Provider is what every registry implements, the OCI client and each
// provider that speaks a vendor's own API alike: list the repositories
// of a scope, list one repository (a retention.Listing with what the
// provider knows: push and pull times, children, untagged manifests),
// list its tags, delete a tag, and delete a manifest with exactly the
// tags the executor's gate checked on it.
type Provider interface {
	Catalog(ctx context.Context, scope string) ([]string, error)
	List(ctx context.Context, repo string, needTime bool, now time.Time) (retention.Listing, error)
	ListTags(ctx context.Context, repo string) ([]string, error)
	DeleteTag(ctx context.Context, repo, tag string) error
	DeleteDigest(ctx context.Context, repo, digest string, tags []string) error
}

// The optional capabilities of a Provider, each found by one type
// assertion in the Router.
type (
	// Deepener reads the manifests of a shallow listing (one a provider
	// built from its API alone) that a plan needs read: want names the
	// digests the plan deletes (nil: all), behind the provider's limits.
	Deepener interface {
		Deepen(ctx context.Context, l retention.Listing, want []string, now time.Time) (retention.Listing, error)
	}
	// Restorer brings a deleted manifest back through the provider's own
	// restore (GitHub keeps deleted package versions for 30 days).
	Restorer interface {
		RestoreVersion(ctx context.Context, repo, digest string) error
	}
	// Waiter says how long the provider was held back by rate limits:
	// by its own pacing, and after answers that a limit was hit.
	Waiter interface {
		Waited() (paced, limited time.Duration)
	}
	// Budgeter says whether reading the manifests digests fits the
	// provider's read budget (Docker Hub's pull limit).
	Budgeter interface {
		ReadBudget(ctx context.Context, repo string, digests []string) error
	}
	// ManifestReader reads manifests itself (Docker Hub, where each read
	// is a pull, keeps what it read and serves it again).
	ManifestReader interface {
		RawManifest(ctx context.Context, repo, digest string) ([]byte, string, error)
		Children(ctx context.Context, repo, digest string) ([]v1.Descriptor, error)
	}
	// Scoper maps a repository pattern to the scope its Catalog lists (a
	// GitHub owner, a Docker Hub namespace); default the host.
	Scoper interface {
		Scope(pattern string) string
	}
)

// OCI is the OCI distribution API as every provider shares it (the oci
// package's Client is one): a Provider of its own for registries with no
// API of their own, and the reader of manifests, tags and blobs for the
// providers that list and delete through a vendor API.
type OCI interface {
	Provider
	Describe(ctx context.Context, l retention.Listing, needTime bool, now time.Time) (retention.Listing, error)
	ResolveTag(ctx context.Context, repo, tag string) (digest, mediaType string, err error)
	ReadTag(ctx context.Context, repo, tag string) (digest, mediaType string, err error)
	Children(ctx context.Context, repo, digest string) ([]v1.Descriptor, error)
	Exists(ctx context.Context, repo, digest string) (bool, error)
	RawManifest(ctx context.Context, repo, digest string) ([]byte, string, error)
	PutManifest(ctx context.Context, repo, ref, mediaType string, body []byte) (string, error)
	Referrers(ctx context.Context, repo, digest string) ([]v1.Descriptor, bool, error)
	// Cached reports whether the manifest digest of repo would be read
	// from the cache (no request).
	Cached(repo, digest string) bool
}
