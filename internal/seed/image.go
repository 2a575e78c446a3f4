package seed

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Annotation keys and media types the seeded manifests use.
const (
	AnnotationCreated       = "org.opencontainers.image.created"
	AnnotationReferenceType = "vnd.docker.reference.type"
	AnnotationReferenceDig  = "vnd.docker.reference.digest"
	ReferenceTypeAttest     = "attestation-manifest"
	MediaTypeSimpleSigning  = "application/vnd.dev.cosign.simplesigning.v1+json"
	MediaTypeInToto         = "application/vnd.in-toto+json"
	MediaTypeEmpty          = "application/vnd.oci.empty.v1+json"
)

// Image returns a small image with one layer of random bytes, so no two
// images share a digest. Its config's created field is created; the zero
// time leaves the field out, as some builders do. OCI media types unless
// Docker is given.
func Image(created time.Time, opts ...Option) (v1.Image, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("building image: %w", err)
	}
	layerType := types.OCILayer
	if o.docker {
		layerType = types.DockerLayer
	}
	layer, diffID, err := randomLayer(o.layerSize, layerType)
	if err != nil {
		return nil, fmt.Errorf("building image: %w", err)
	}
	img, err := build(created, o, []blob{{layer: layer, diffID: diffID}})
	if err != nil {
		return nil, fmt.Errorf("building image: %w", err)
	}
	return img, nil
}

// blob is one layer of a built image.
type blob struct {
	layer       v1.Layer
	diffID      v1.Hash
	annotations map[string]string
}

// configFile is the image config as written; unlike v1.ConfigFile it can
// leave created out.
type configFile struct {
	Created      *time.Time `json:"created,omitempty"`
	Architecture string     `json:"architecture"`
	OS           string     `json:"os"`
	Variant      string     `json:"variant,omitempty"`
	Config       struct {
		Labels map[string]string `json:"Labels,omitempty"`
	} `json:"config"`
	RootFS struct {
		Type    string   `json:"type"`
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
	History []historyEntry `json:"history,omitempty"`
}

type historyEntry struct {
	Created   *time.Time `json:"created,omitempty"`
	CreatedBy string     `json:"created_by,omitempty"`
}

// build assembles an image from its layers, writing the config and the
// manifest itself so that every field regprune reads is under control.
func build(created time.Time, o *options, blobs []blob) (v1.Image, error) {
	var cfg configFile
	if !created.IsZero() {
		c := created.UTC()
		cfg.Created = &c
	}
	cfg.Architecture = o.platform.Architecture
	cfg.OS = o.platform.OS
	cfg.Variant = o.platform.Variant
	cfg.Config.Labels = cloneMap(o.labels)
	cfg.RootFS.Type = "layers"
	cfg.RootFS.DiffIDs = []string{}
	for _, b := range blobs {
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, b.diffID.String())
		cfg.History = append(cfg.History, historyEntry{Created: cfg.Created, CreatedBy: "regprune seed"})
	}
	rawConfig, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("encoding config: %w", err)
	}

	mt, configType := types.OCIManifestSchema1, types.OCIConfigJSON
	if o.docker {
		mt, configType = types.DockerManifestSchema2, types.DockerConfigJSON
	}
	if o.emptyConfig {
		// OCI artifacts carry the empty descriptor's content as config.
		rawConfig, configType = []byte("{}"), MediaTypeEmpty
	}
	configDigest, configSize, err := v1.SHA256(bytes.NewReader(rawConfig))
	if err != nil {
		return nil, fmt.Errorf("hashing config: %w", err)
	}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     mt,
		Config:        v1.Descriptor{MediaType: configType, Size: configSize, Digest: configDigest},
		Annotations:   cloneMap(o.annotations),
		Subject:       o.subject,
		ArtifactType:  o.artifactType,
	}
	layers := map[v1.Hash]v1.Layer{}
	for _, b := range blobs {
		d, err := partial.Descriptor(b.layer)
		if err != nil {
			return nil, fmt.Errorf("describing layer: %w", err)
		}
		d.Annotations = cloneMap(b.annotations)
		m.Layers = append(m.Layers, *d)
		layers[d.Digest] = b.layer
	}
	rawManifest, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encoding manifest: %w", err)
	}
	img, err := partial.CompressedToImage(&core{
		mediaType:   mt,
		rawConfig:   rawConfig,
		rawManifest: rawManifest,
		layers:      layers,
	})
	if err != nil {
		return nil, fmt.Errorf("assembling image: %w", err)
	}
	return img, nil
}

// core is the minimum partial.CompressedToImage needs.
type core struct {
	mediaType   types.MediaType
	rawConfig   []byte
	rawManifest []byte
	layers      map[v1.Hash]v1.Layer
}

var _ partial.CompressedImageCore = (*core)(nil)

func (c *core) RawConfigFile() ([]byte, error)      { return c.rawConfig, nil }
func (c *core) MediaType() (types.MediaType, error) { return c.mediaType, nil }
func (c *core) RawManifest() ([]byte, error)        { return c.rawManifest, nil }
func (c *core) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if l, ok := c.layers[h]; ok {
		return l, nil
	}
	return nil, fmt.Errorf("finding layer %s: not in this image", h)
}

// randomLayer returns a gzipped tar holding one file of n random bytes,
// and the digest of the uncompressed tar (its diff ID).
func randomLayer(n int64, mt types.MediaType) (v1.Layer, v1.Hash, error) {
	content := make([]byte, n)
	if _, err := rand.Read(content); err != nil {
		return nil, v1.Hash{}, fmt.Errorf("reading random bytes: %w", err)
	}
	var name [8]byte
	if _, err := rand.Read(name[:]); err != nil {
		return nil, v1.Hash{}, fmt.Errorf("reading random bytes: %w", err)
	}
	var tarball bytes.Buffer
	tw := tar.NewWriter(&tarball)
	hdr := &tar.Header{Name: "seed-" + hex.EncodeToString(name[:]), Mode: 0o644, Size: n, Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, v1.Hash{}, fmt.Errorf("writing layer: %w", err)
	}
	if _, err := tw.Write(content); err != nil {
		return nil, v1.Hash{}, fmt.Errorf("writing layer: %w", err)
	}
	if err := tw.Close(); err != nil {
		return nil, v1.Hash{}, fmt.Errorf("writing layer: %w", err)
	}
	sum := sha256.Sum256(tarball.Bytes())
	diffID := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}

	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(tarball.Bytes()); err != nil {
		return nil, v1.Hash{}, fmt.Errorf("compressing layer: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, v1.Hash{}, fmt.Errorf("compressing layer: %w", err)
	}
	return static.NewLayer(gz.Bytes(), mt), diffID, nil
}

// payloadLayer returns a layer whose blob is data as is (artifacts,
// signatures): its diff ID is its digest.
func payloadLayer(data []byte, mt types.MediaType) (v1.Layer, v1.Hash, error) {
	l := static.NewLayer(data, mt)
	d, err := l.Digest()
	if err != nil {
		return nil, v1.Hash{}, fmt.Errorf("hashing payload: %w", err)
	}
	return l, d, nil
}
