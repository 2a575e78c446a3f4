package oci

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/regprune/regprune/retention"
	mf "github.com/regprune/regprune/retention/manifest"
)

// manifestAccept lists every manifest type we understand. Index types
// must be there: without them Distribution answers a multi-arch tag with
// its linux/amd64 child (and the child's digest) or MANIFEST_UNKNOWN.
var manifestAccept = []string{
	mf.MediaTypeOCIManifest,
	mf.MediaTypeOCIIndex,
	mf.MediaTypeDockerManifest,
	mf.MediaTypeDockerList,
}

// manifest is a parsed manifest or index.
type manifest struct {
	digest      string
	mediaType   string
	annotations map[string]string
	config      *v1.Descriptor  // images only
	children    []v1.Descriptor // indexes only, in order
	layers      []v1.Descriptor // images only
	subject     string
}

func (m *manifest) isIndex() bool { return mf.IsIndexMediaType(m.mediaType) }

// getManifest fetches and parses the manifest of ref, a tag or a digest,
// with one GET. The digest is computed from the body (registries get the
// Docker-Content-Digest header wrong often enough), and checked against
// ref when ref is a sha256 digest.
func (rc *repoConn) getManifest(ctx context.Context, ref string) (*manifest, error) {
	resp, err := rc.do(ctx, http.MethodGet, "manifests/"+ref, manifestAccept, maxManifestBytes, http.StatusOK)
	if err != nil {
		return nil, err
	}
	digest := digestOf(resp.body)
	if strings.HasPrefix(ref, "sha256:") && ref != digest {
		return nil, fmt.Errorf("verifying manifest %s: content has digest %s", ref, digest)
	}
	m, err := parseManifest(resp.body, resp.header.Get("Content-Type"))
	if err != nil {
		return nil, fmt.Errorf("parsing manifest %s (%s): %w", ref, digest, err)
	}
	m.digest = digest
	if c := rc.c.opts.cache; c != nil {
		c.PutManifest(rc.name, digest, resp.body, resp.header.Get("Content-Type"))
	}
	return m, nil
}

func parseManifest(body []byte, contentType string) (*manifest, error) {
	var raw struct {
		MediaType   string            `json:"mediaType"`
		Config      *v1.Descriptor    `json:"config"`
		Manifests   []v1.Descriptor   `json:"manifests"`
		Layers      []v1.Descriptor   `json:"layers"`
		Subject     *v1.Descriptor    `json:"subject"`
		Annotations map[string]string `json:"annotations"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, err
	}
	m := &manifest{mediaType: raw.MediaType, annotations: raw.Annotations}
	if m.mediaType == "" {
		m.mediaType, _, _ = mime.ParseMediaType(contentType)
	}
	if m.mediaType == "" || m.mediaType == "application/json" {
		// Neither the body nor the header says; the shape does.
		m.mediaType = mf.MediaTypeOCIManifest
		if raw.Manifests != nil {
			m.mediaType = mf.MediaTypeOCIIndex
		}
	}
	if m.isIndex() {
		m.children = raw.Manifests
	} else {
		m.config, m.layers = raw.Config, raw.Layers
	}
	if raw.Subject != nil {
		m.subject = raw.Subject.Digest.String()
	}
	return m, nil
}

// record converts m for the Listing.
func (m *manifest) record() retention.Manifest {
	r := retention.Manifest{Digest: m.digest, MediaType: m.mediaType, Subject: m.subject}
	if _, ok := m.annotations[mf.PlaceholderAnnotation]; ok && m.isIndex() && len(m.children) == 0 {
		r.Placeholder = true
	}
	for _, c := range m.children {
		r.Children = append(r.Children, c.Digest.String())
	}
	return r
}
