package layout

import (
	"context"
	"time"

	"github.com/regprune/regprune/retention/manifest"
)

// timer finds creation times (manifest.CreationTime), once per digest.
type timer struct {
	s     *store
	now   time.Time
	times map[string]manifest.Created
}

var _ manifest.TimeSource = (*timer)(nil)

// entryCreated returns an entry's creation time: the index.json
// descriptor's created annotation first, then that of the manifest it
// points at.
func (tm *timer) entryCreated(e entry) (manifest.Created, error) {
	if t, ok := manifest.PlausibleTime(e.desc.Annotations[annotationCreated], tm.now); ok {
		return manifest.Created{Time: t, Source: "index.json annotation"}, nil
	}
	ct, _, err := tm.created(e.desc, 0)
	return ct, err
}

// created dates the manifest d names; ok is false when the layout does
// not hold it as a manifest it can read.
func (tm *timer) created(d descriptor, depth int) (manifest.Created, bool, error) {
	if ct, ok := tm.times[d.Digest]; ok {
		return ct, true, nil
	}
	n, err := tm.s.load(d)
	if err != nil || n == nil {
		return manifest.Created{}, false, err
	}
	ct, err := manifest.CreationTime(context.Background(), tm.now, tm, n.facts(), depth)
	if err != nil {
		return manifest.Created{}, false, err
	}
	tm.times[d.Digest] = ct
	return ct, true, nil
}

// ChildTime dates an index's child.
func (tm *timer) ChildTime(_ context.Context, c manifest.ChildFacts, depth int) (manifest.Created, bool, error) {
	return tm.created(descriptor{Digest: c.Digest, MediaType: c.MediaType}, depth)
}

// Config reads a config blob's creation fields; a missing or unparsable
// config says nothing (its time is unknown, so kept).
func (tm *timer) Config(_ context.Context, digest string) (manifest.ConfigFacts, bool, error) {
	b, ok, err := tm.s.read(digest, maxConfigBytes)
	if err != nil || !ok {
		return manifest.ConfigFacts{}, false, err
	}
	cfg, err := manifest.ParseConfigTimes(b)
	return cfg, err == nil, nil
}

// facts is what the creation-time rule reads of n.
func (n *node) facts() manifest.Facts {
	f := manifest.Facts{Annotation: n.annotations[annotationCreated], Index: n.isIndex()}
	for _, c := range n.children {
		var os, arch string
		if c.Platform != nil {
			os, arch = c.Platform.OS, c.Platform.Architecture
		}
		f.Children = append(f.Children, manifest.ChildFacts{
			Digest: c.Digest, MediaType: c.MediaType,
			Attestation: manifest.IsAttestation(c.Annotations, os, arch),
		})
	}
	if n.config != nil {
		f.Config = n.config.Digest
	}
	return f
}
