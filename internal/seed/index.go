package seed

import (
	"fmt"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// DefaultPlatforms are the children Index builds when given none.
var DefaultPlatforms = []string{"linux/amd64", "linux/arm64"}

// Index returns a multi-platform index with one fresh Image per platform
// (each created at created), an OCI image index unless Docker is given
// (then a Docker manifest list of Docker manifests). WithAttestations adds
// BuildKit-style attestation children; WithAnnotation and
// WithCreatedAnnotation annotate the index itself; WithChildOptions
// configures the children.
func Index(created time.Time, platforms []string, opts ...Option) (v1.ImageIndex, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("building index: %w", err)
	}
	if len(platforms) == 0 {
		platforms = DefaultPlatforms
	}
	children := make([]v1.Image, 0, len(platforms))
	for _, p := range platforms {
		childOpts := append([]Option{}, o.childOpts...)
		childOpts = append(childOpts, WithPlatform(p))
		if o.docker {
			childOpts = append(childOpts, Docker())
		}
		img, err := Image(created, childOpts...)
		if err != nil {
			return nil, fmt.Errorf("building index child %s: %w", p, err)
		}
		children = append(children, img)
	}
	return IndexOf(children, opts...)
}

// IndexOf returns an index of the given images, each described with the
// platform of its config. Two indexes built from the same child share it,
// as registries see with rebuilt multi-arch tags. It takes the options of
// Index except WithChildOptions.
func IndexOf(children []v1.Image, opts ...Option) (v1.ImageIndex, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("building index: %w", err)
	}
	mt := types.OCIImageIndex
	if o.docker {
		mt = types.DockerManifestList
	}
	var adds []mutate.IndexAddendum
	for i, child := range children {
		cf, err := child.ConfigFile()
		if err != nil {
			return nil, fmt.Errorf("reading config of index child %d: %w", i, err)
		}
		p := cf.Platform()
		if p == nil {
			p = &v1.Platform{OS: cf.OS, Architecture: cf.Architecture}
		}
		adds = append(adds, mutate.IndexAddendum{Add: child, Descriptor: v1.Descriptor{Platform: p}})
	}
	if o.attestations {
		for i, child := range children {
			a, err := attestationFor(child)
			if err != nil {
				return nil, fmt.Errorf("building attestation of index child %d: %w", i, err)
			}
			adds = append(adds, a)
		}
	}
	idx := mutate.IndexMediaType(mutate.AppendManifests(empty.Index, adds...), mt)
	if len(o.annotations) > 0 {
		idx = mutate.Annotations(idx, o.annotations).(v1.ImageIndex)
	}
	if o.subject != nil {
		idx = mutate.Subject(idx, *o.subject).(v1.ImageIndex)
	}
	return idx, nil
}

// attestationFor builds what BuildKit attaches to each platform image: an
// OCI manifest with an in-toto layer, listed in the index with platform
// unknown/unknown and a reference to the image it attests.
func attestationFor(child v1.Image) (mutate.IndexAddendum, error) {
	d, err := child.Digest()
	if err != nil {
		return mutate.IndexAddendum{}, fmt.Errorf("hashing child: %w", err)
	}
	statement := fmt.Sprintf(`{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://slsa.dev/provenance/v0.2","subject":[{"digest":{"sha256":%q}}]}`, d.Hex)
	layer, diffID, err := payloadLayer([]byte(statement), MediaTypeInToto)
	if err != nil {
		return mutate.IndexAddendum{}, err
	}
	o, err := newOptions([]Option{WithPlatform("unknown/unknown")})
	if err != nil {
		return mutate.IndexAddendum{}, err
	}
	img, err := build(time.Time{}, o, []blob{{
		layer:       layer,
		diffID:      diffID,
		annotations: map[string]string{"in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2"},
	}})
	if err != nil {
		return mutate.IndexAddendum{}, err
	}
	return mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{
		Platform: &v1.Platform{OS: "unknown", Architecture: "unknown"},
		Annotations: map[string]string{
			AnnotationReferenceType: ReferenceTypeAttest,
			AnnotationReferenceDig:  d.String(),
		},
	}}, nil
}
