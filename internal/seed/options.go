package seed

import (
	"fmt"
	"maps"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Option configures Image, Index, Signature and Referrer. Options that do
// not apply to what is being built are ignored.
type Option func(*options) error

type options struct {
	docker       bool
	platform     v1.Platform
	labels       map[string]string
	annotations  map[string]string
	subject      *v1.Descriptor
	artifactType string
	layerSize    int64
	attestations bool
	childOpts    []Option
	emptyConfig  bool
	signedRepo   string
}

// defaultLayerSize keeps images a few KiB so that tests pushing hundreds
// of them stay fast.
const defaultLayerSize = 512

func newOptions(opts []Option) (*options, error) {
	o := &options{
		platform:  v1.Platform{OS: "linux", Architecture: "amd64"},
		layerSize: defaultLayerSize,
	}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// WithSignedRepository sets the repository a Signature's simple-signing
// payload names (critical.identity.docker-reference), as cosign writes
// it: the signed image's repository, also when the signature is stored
// in another one (COSIGN_REPOSITORY). History sets it to the repository
// it pushes to unless an entry's options set it.
func WithSignedRepository(repo string) Option {
	return func(o *options) error {
		o.signedRepo = repo
		return nil
	}
}

// Docker builds Docker schema 2 media types (a manifest list for Index)
// instead of the default OCI ones.
func Docker() Option {
	return func(o *options) error {
		o.docker = true
		return nil
	}
}

// WithPlatform sets the os/arch[/variant] of an image's config, such as
// "linux/arm64/v8". Default linux/amd64.
func WithPlatform(platform string) Option {
	return func(o *options) error {
		p, err := v1.ParsePlatform(platform)
		if err != nil {
			return fmt.Errorf("parsing platform %q: %w", platform, err)
		}
		o.platform = *p
		return nil
	}
}

// WithLabel sets a label in an image's config.
func WithLabel(key, value string) Option {
	return func(o *options) error {
		if o.labels == nil {
			o.labels = map[string]string{}
		}
		o.labels[key] = value
		return nil
	}
}

// WithCreatedLabel sets the config label org.opencontainers.image.created.
// The value is written as given, so tests can seed malformed ones.
func WithCreatedLabel(value string) Option {
	return WithLabel(AnnotationCreated, value)
}

// WithAnnotation sets an annotation on the manifest (the index for Index).
func WithAnnotation(key, value string) Option {
	return func(o *options) error {
		if o.annotations == nil {
			o.annotations = map[string]string{}
		}
		o.annotations[key] = value
		return nil
	}
}

// WithCreatedAnnotation sets the manifest annotation
// org.opencontainers.image.created (the index's for Index). The value is
// written as given.
func WithCreatedAnnotation(value string) Option {
	return WithAnnotation(AnnotationCreated, value)
}

// WithSubject sets the manifest's subject, making it an OCI referrer of
// that manifest.
func WithSubject(subject v1.Descriptor) Option {
	return func(o *options) error {
		s := subject
		o.subject = &s
		return nil
	}
}

// WithArtifactType sets the manifest's artifactType (OCI image manifests).
func WithArtifactType(artifactType string) Option {
	return func(o *options) error {
		o.artifactType = artifactType
		return nil
	}
}

// WithLayerSize sets the number of random bytes in an image's single
// layer. Default 512.
func WithLayerSize(n int64) Option {
	return func(o *options) error {
		if n < 0 {
			return fmt.Errorf("setting layer size: %d is negative", n)
		}
		o.layerSize = n
		return nil
	}
}

// WithAttestations adds to an Index one BuildKit-style attestation
// manifest per platform child: platform unknown/unknown, annotations
// vnd.docker.reference.type=attestation-manifest and
// vnd.docker.reference.digest=<child digest>.
func WithAttestations() Option {
	return func(o *options) error {
		o.attestations = true
		return nil
	}
}

// WithChildOptions applies opts to each platform child Index builds (the
// child's platform and media types are set by Index itself).
func WithChildOptions(opts ...Option) Option {
	return func(o *options) error {
		o.childOpts = append(o.childOpts, opts...)
		return nil
	}
}

func cloneMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}
