package layout

import (
	"context"
	"time"

	"github.com/regprune/regprune/retention"
)

// timer finds creation times (retention.CreationTime), once per digest.
type timer struct {
	s     *store
	now   time.Time
	times map[string]retention.Created
}

var _ retention.TimeSource = (*timer)(nil)

// entryCreated returns an entry's creation time: the index.json
// descriptor's created annotation first, then that of the manifest it
// points at.
func (tm *timer) entryCreated(e entry) (retention.Created, error) {
	if t, ok := retention.PlausibleTime(e.desc.Annotations[annotationCreated], tm.now); ok {
		return retention.Created{Time: t, Source: "index.json annotation"}, nil
	}
	ct, _, err := tm.created(e.desc, 0)
	return ct, err
}

// created dates the manifest d names; ok is false when the layout does
// not hold it as a manifest it can read.
func (tm *timer) created(d descriptor, depth int) (retention.Created, bool, error) {
	if ct, ok := tm.times[d.Digest]; ok {
		return ct, true, nil
	}
	n, err := tm.s.load(d)
	if err != nil || n == nil {
		return retention.Created{}, false, err
	}
	ct, err := retention.CreationTime(context.Background(), tm.now, tm, n.facts(), depth)
	if err != nil {
		return retention.Created{}, false, err
	}
	tm.times[d.Digest] = ct
	return ct, true, nil
}

// ChildTime dates an index's child.
func (tm *timer) ChildTime(_ context.Context, c retention.ChildFacts, depth int) (retention.Created, bool, error) {
	return tm.created(descriptor{Digest: c.Digest, MediaType: c.MediaType}, depth)
}

// Config reads a config blob's creation fields; a missing or unparsable
// config says nothing (its time is unknown, so kept).
func (tm *timer) Config(_ context.Context, digest string) (retention.ConfigFacts, bool, error) {
	b, ok, err := tm.s.read(digest, maxConfigBytes)
	if err != nil || !ok {
		return retention.ConfigFacts{}, false, err
	}
	cfg, err := retention.ParseConfigTimes(b)
	return cfg, err == nil, nil
}

// facts is what the creation-time rule reads of n.
func (n *node) facts() retention.ManifestFacts {
	f := retention.ManifestFacts{Annotation: n.annotations[annotationCreated], Index: n.isIndex()}
	for _, c := range n.children {
		var os, arch string
		if c.Platform != nil {
			os, arch = c.Platform.OS, c.Platform.Architecture
		}
		f.Children = append(f.Children, retention.ChildFacts{
			Digest: c.Digest, MediaType: c.MediaType,
			Attestation: retention.IsAttestation(c.Annotations, os, arch),
		})
	}
	if n.config != nil {
		f.Config = n.config.Digest
	}
	return f
}
