package seed

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// SignatureTag is the tag cosign stores the signature of subject under:
// sha256-<hex>.sig.
func SignatureTag(subject v1.Hash) string {
	return subject.Algorithm + "-" + subject.Hex + ".sig"
}

// Signature returns a cosign-like signature of subject: an OCI manifest
// with one application/vnd.dev.cosign.simplesigning.v1+json layer naming
// the subject, and a random signature annotation. Like cosign's, its
// config has no created time. Push it under SignatureTag(subject).
func Signature(subject v1.Hash, opts ...Option) (v1.Image, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("building signature: %w", err)
	}
	payload := fmt.Sprintf(`{"critical":{"identity":{"docker-reference":%q},"image":{"docker-manifest-digest":%q},"type":"cosign container image signature"},"optional":null}`, o.signedRepo, subject.String())
	layer, diffID, err := payloadLayer([]byte(payload), MediaTypeSimpleSigning)
	if err != nil {
		return nil, fmt.Errorf("building signature: %w", err)
	}
	sig := make([]byte, 64)
	if _, err := rand.Read(sig); err != nil {
		return nil, fmt.Errorf("building signature: reading random bytes: %w", err)
	}
	o.docker = false
	o.platform = v1.Platform{}
	img, err := build(time.Time{}, o, []blob{{
		layer:       layer,
		diffID:      diffID,
		annotations: map[string]string{"dev.cosignproject.cosign/signature": base64.StdEncoding.EncodeToString(sig)},
	}})
	if err != nil {
		return nil, fmt.Errorf("building signature: %w", err)
	}
	return img, nil
}

// Referrer returns an OCI artifact referring to subject (what `oras attach`
// or cosign's OCI 1.1 mode push): artifactType set, the empty config, one
// small layer of media type artifactType, and subject set. Options add
// annotations (WithCreatedAnnotation is what such tools write). Push it by
// digest; ggcr then updates the referrers tag fallback (sha256-<hex>) on
// registries without the referrers API.
func Referrer(subject v1.Descriptor, artifactType string, opts ...Option) (v1.Image, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("building referrer: %w", err)
	}
	data := make([]byte, 32)
	if _, err := rand.Read(data); err != nil {
		return nil, fmt.Errorf("building referrer: reading random bytes: %w", err)
	}
	payload := fmt.Sprintf(`{"nonce":%q}`, base64.StdEncoding.EncodeToString(data))
	layer, diffID, err := payloadLayer([]byte(payload), types.MediaType(artifactType))
	if err != nil {
		return nil, fmt.Errorf("building referrer: %w", err)
	}
	s := subject
	o.subject = &s
	o.artifactType = artifactType
	o.emptyConfig = true
	o.docker = false
	img, err := build(time.Time{}, o, []blob{{layer: layer, diffID: diffID}})
	if err != nil {
		return nil, fmt.Errorf("building referrer: %w", err)
	}
	return img, nil
}
