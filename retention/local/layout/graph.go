package layout

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/regprune/regprune/retention/manifest"
)

const annotationCreated = manifest.AnnotationCreated

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

func (n *node) isIndex() bool { return manifest.IsIndexMediaType(n.mediaType) }

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
	case "", manifest.MediaTypeOCIIndex, manifest.MediaTypeDockerList,
		manifest.MediaTypeOCIManifest, manifest.MediaTypeDockerManifest,
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
		n.mediaType = manifest.MediaTypeOCIIndex
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
//
// Where a manifest is expected (the roots, index children, referrers) a
// descriptor of a media type the mark does not know is still read as a
// manifest when its content is one (see loadAsManifest): the blob is
// kept, and so is everything it names, or the sweep would leave a kept
// entry without its config and layers. A digest reached first where it
// is not parsed (as a config, or under an unknown type elsewhere) is
// followed again when it is reached as a manifest.
func (s *store) reach(ctx context.Context, roots []descriptor, seen map[string]bool, parents map[string]edge) error {
	type item struct {
		d descriptor
		// manifest: reached where a manifest is expected.
		manifest bool
	}
	parses := func(it item) bool { return it.manifest || followed(it.d.MediaType) }
	// expanded holds the digests whose references were followed.
	expanded := map[string]bool{}
	done := func(it item) bool {
		return it.d.Digest == "" || seen[it.d.Digest] && (expanded[it.d.Digest] || !parses(it))
	}
	stack := make([]item, 0, len(roots))
	for i := len(roots) - 1; i >= 0; i-- {
		stack = append(stack, item{d: roots[i], manifest: true})
	}
	visit := func(d descriptor, from string, kind edgeKind) {
		it := item{d: d, manifest: kind != edgeBlob}
		if done(it) {
			return
		}
		if parents != nil && !seen[d.Digest] {
			parents[d.Digest] = edge{from: from, kind: kind}
		}
		stack = append(stack, it)
	}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		d := it.d
		stack = stack[:len(stack)-1]
		if done(it) {
			continue
		}
		if len(seen)%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		first := !seen[d.Digest]
		seen[d.Digest] = true
		var n *node
		if parses(it) {
			expanded[d.Digest] = true
			var err error
			if followed(d.MediaType) {
				n, err = s.load(d)
			} else {
				n, err = s.loadAsManifest(d)
			}
			if err != nil {
				return err
			}
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
		if first {
			for _, r := range s.subjects[d.Digest] {
				visit(descriptor{Digest: r, MediaType: s.nodes[r].mediaType}, d.Digest, edgeReferrer)
			}
		}
	}
	return nil
}

// loadAsManifest reads a blob declared with a media type the mark does
// not know, where a manifest is expected, and parses it as one when it
// is JSON under the manifest size limit; anything else is opaque (nil),
// never an error. The result is kept apart from the nodes Decide and the
// creation times see, which go by the declared media type.
func (s *store) loadAsManifest(d descriptor) (*node, error) {
	if n, ok := s.nodes[d.Digest]; ok {
		return n, nil
	}
	if n, ok := s.opaque[d.Digest]; ok {
		return n, nil
	}
	var n *node
	if b, ok, err := s.read(d.Digest, maxManifestBytes); err == nil && ok {
		if b = bytes.TrimLeft(b, " \t\r\n"); len(b) > 0 && b[0] == '{' {
			if p, err := parse(b, ""); err == nil {
				n = p
			}
		}
	}
	s.opaque[d.Digest] = n
	return n, nil
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
			n.mediaType = manifest.MediaTypeOCIManifest
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
