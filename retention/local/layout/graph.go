package layout

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/regprune/regprune/retention"
)

const annotationCreated = retention.AnnotationCreated

// Manifest media types the mark follows. Anything else is opaque: kept
// when referenced, never parsed.
const (
	mediaTypeOCIArtifact     = "application/vnd.oci.artifact.manifest.v1+json"
	mediaTypeDockerSchema1   = "application/vnd.docker.distribution.manifest.v1+json"
	mediaTypeDockerSchema1JW = "application/vnd.docker.distribution.manifest.v1+prettyjws"
)

// node is a parsed manifest or index.
type node struct {
	mediaType   string
	annotations map[string]string
	// children are an index's manifests, in order.
	children []descriptor
	// config is an image manifest's config; blobs are its layers (or an
	// artifact's blobs).
	config  *descriptor
	blobs   []descriptor
	subject string
}

func (n *node) isIndex() bool { return retention.IsIndexMediaType(n.mediaType) }

// manifestJSON is every field of an index or manifest the mark follows.
type manifestJSON struct {
	MediaType   string            `json:"mediaType"`
	Annotations map[string]string `json:"annotations"`
	Manifests   []descriptor      `json:"manifests"`
	Config      *descriptor       `json:"config"`
	Layers      []descriptor      `json:"layers"`
	Blobs       []descriptor      `json:"blobs"`
	Subject     *descriptor       `json:"subject"`
	FSLayers    []struct {
		BlobSum string `json:"blobSum"`
	} `json:"fsLayers"`
}

// followed reports whether a descriptor's media type is one the mark
// parses; "" is parsed too, by its content.
func followed(mt string) bool {
	switch mt {
	case "", retention.MediaTypeOCIIndex, retention.MediaTypeDockerList,
		retention.MediaTypeOCIManifest, retention.MediaTypeDockerManifest,
		mediaTypeOCIArtifact, mediaTypeDockerSchema1, mediaTypeDockerSchema1JW:
		return true
	}
	return false
}

// parse decodes a manifest; an error means the content is not JSON.
func parse(b []byte, declared string) (*node, error) {
	var m manifestJSON
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	n := &node{mediaType: m.MediaType, annotations: m.Annotations, children: m.Manifests, config: m.Config, blobs: m.Layers}
	if n.mediaType == "" {
		n.mediaType = declared
	}
	if n.mediaType == "" && m.Manifests != nil {
		n.mediaType = retention.MediaTypeOCIIndex
	}
	n.blobs = append(n.blobs, m.Blobs...)
	for _, l := range m.FSLayers {
		n.blobs = append(n.blobs, descriptor{Digest: l.BlobSum})
	}
	if m.Subject != nil {
		n.subject = m.Subject.Digest
	}
	return n, nil
}

// load parses the manifest d names, once per digest. It returns nil
// for an opaque media type, a blob the layout does not hold, or content
// declared with no media type that is not JSON. A declared manifest that
// cannot be read or parsed is an error: its references are unknown, so
// nothing may be swept.
func (s *store) load(d descriptor) (*node, error) {
	// A digest parsed before is followed whatever this descriptor says:
	// findReferrers parses referrers of unknown artifact types on purpose.
	if n, ok := s.nodes[d.Digest]; ok {
		return n, nil
	}
	if !followed(d.MediaType) {
		return nil, nil
	}
	b, ok, err := s.read(d.Digest, maxManifestBytes)
	if err != nil {
		if d.MediaType == "" {
			return nil, nil
		}
		return nil, err
	}
	if !ok {
		s.nodes[d.Digest] = nil
		return nil, nil
	}
	n, err := parse(b, d.MediaType)
	if err != nil {
		if d.MediaType == "" {
			s.nodes[d.Digest] = nil
			return nil, nil
		}
		return nil, fmt.Errorf("parsing manifest %s: %w", d.Digest, err)
	}
	s.addNode(d.Digest, n)
	return n, nil
}

func (s *store) addNode(digest string, n *node) {
	s.nodes[digest] = n
	if n != nil && n.subject != "" {
		s.subjects[n.subject] = append(s.subjects[n.subject], digest)
	}
}

// reach marks in seen every digest the roots reach: through index
// children, configs, layers, and the manifests whose subject is reached.
// parents, when not nil, records how each digest was first reached.
func (s *store) reach(ctx context.Context, roots []descriptor, seen map[string]bool, parents map[string]edge) error {
	stack := make([]descriptor, 0, len(roots))
	for i := len(roots) - 1; i >= 0; i-- {
		stack = append(stack, roots[i])
	}
	visit := func(d descriptor, from string, kind edgeKind) {
		if d.Digest == "" || seen[d.Digest] {
			return
		}
		if parents != nil {
			parents[d.Digest] = edge{from: from, kind: kind}
		}
		stack = append(stack, d)
	}
	for len(stack) > 0 {
		d := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[d.Digest] {
			continue
		}
		if len(seen)%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		seen[d.Digest] = true
		n, err := s.load(d)
		if err != nil {
			return err
		}
		if n != nil {
			for _, c := range n.children {
				visit(c, d.Digest, edgeChild)
			}
			if n.config != nil {
				visit(*n.config, d.Digest, edgeBlob)
			}
			for _, l := range n.blobs {
				visit(l, d.Digest, edgeBlob)
			}
		}
		for _, r := range s.subjects[d.Digest] {
			visit(descriptor{Digest: r, MediaType: s.nodes[r].mediaType}, d.Digest, edgeReferrer)
		}
	}
	return nil
}

// edge says how the mark first reached a digest.
type edge struct {
	from string
	kind edgeKind
}

type edgeKind int

const (
	edgeChild edgeKind = iota + 1
	edgeBlob
	edgeReferrer
)

// findReferrers reads every blob the roots do not reach that could be a
// manifest (JSON under the manifest size limit) and records the subject
// of those that have one, so that reach keeps referrers of what it
// reaches. Only unreached blobs are read: reached manifests were parsed on
// the way.
func (s *store) findReferrers(ctx context.Context, roots []descriptor) error {
	seen := make(map[string]bool, len(s.blobs))
	if err := s.reach(ctx, roots, seen, nil); err != nil {
		return err
	}
	for dg, bi := range s.blobs {
		if seen[dg] || bi.size > maxManifestBytes || bi.size < 2 {
			continue
		}
		if _, done := s.nodes[dg]; done {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		b, ok, err := s.read(dg, maxManifestBytes)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		b = bytes.TrimLeft(b, " \t\r\n")
		if len(b) == 0 || b[0] != '{' {
			continue
		}
		n, err := parse(b, "")
		if err != nil || n.subject == "" {
			continue
		}
		if n.mediaType == "" {
			n.mediaType = retention.MediaTypeOCIManifest
		}
		s.addNode(dg, n)
	}
	return nil
}

// mark returns every digest the roots reach, referrers included.
func (s *store) mark(ctx context.Context, roots []descriptor) (map[string]bool, error) {
	if err := s.findReferrers(ctx, roots); err != nil {
		return nil, fmt.Errorf("marking: %w", err)
	}
	seen := make(map[string]bool, len(s.blobs))
	if err := s.reach(ctx, roots, seen, nil); err != nil {
		return nil, fmt.Errorf("marking: %w", err)
	}
	return seen, nil
}
