package layout

import (
	"time"

	"github.com/regprune/regprune/retention"
)

// maxIndexDepth bounds how deep an index's creation time is looked for
// in its children (an index of indexes of images is depth 2).
const maxIndexDepth = 4

// createdAt is a creation time and where it came from; zero when no
// source had a plausible one.
type createdAt struct {
	t      time.Time
	source string
}

// timer finds creation times, once per digest.
type timer struct {
	s     *store
	now   time.Time
	times map[string]createdAt
}

// entryCreated returns an entry's creation time: the index.json
// descriptor's created annotation first, then that of the manifest it
// points at.
func (tm *timer) entryCreated(e entry) (createdAt, error) {
	if t, ok := tm.plausible(e.desc.Annotations[annotationCreated]); ok {
		return createdAt{t, "index.json annotation"}, nil
	}
	return tm.created(e.desc, 0)
}

// created is the first plausible of the manifest's created annotation,
// its config's created and its config's created label; for an index, its
// annotation or that of its first child (in order) that has one.
func (tm *timer) created(d descriptor, depth int) (createdAt, error) {
	if ct, ok := tm.times[d.Digest]; ok {
		return ct, nil
	}
	ct, err := tm.compute(d, depth)
	if err != nil {
		return createdAt{}, err
	}
	tm.times[d.Digest] = ct
	return ct, nil
}

func (tm *timer) compute(d descriptor, depth int) (createdAt, error) {
	n, err := tm.s.load(d)
	if err != nil || n == nil {
		return createdAt{}, err
	}
	if t, ok := tm.plausible(n.annotations[annotationCreated]); ok {
		return createdAt{t, "annotation"}, nil
	}
	if n.isIndex() {
		if depth >= maxIndexDepth {
			return createdAt{}, nil
		}
		for _, c := range n.children {
			ct, err := tm.created(c, depth+1)
			if err != nil {
				return createdAt{}, err
			}
			if !ct.t.IsZero() {
				return createdAt{ct.t, "child " + c.Digest + " " + ct.source}, nil
			}
		}
		return createdAt{}, nil
	}
	if n.config == nil {
		return createdAt{}, nil
	}
	cfg, err := tm.s.config(n.config.Digest)
	if err != nil {
		return createdAt{}, err
	}
	if t, ok := tm.plausible(cfg.created); ok {
		return createdAt{t, "config"}, nil
	}
	if t, ok := tm.plausible(cfg.label); ok {
		return createdAt{t, "config label"}, nil
	}
	return createdAt{}, nil
}

func (tm *timer) plausible(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || !retention.Plausible(t, tm.now) {
		return time.Time{}, false
	}
	return t, true
}
