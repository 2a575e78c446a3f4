package execute

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/manifest"
)

// view is one full resolution of a repository's tags: every tag the
// registry listed, resolved by a request sent no earlier than at.
type view struct {
	at time.Time
	// current maps every tag to the digest it points at ("" when it
	// could not be resolved).
	current map[string]string
	// pointsAt maps digests to the tags that point at them, sorted.
	pointsAt map[string][]string
	// unresolved: tags of unknown digest (any of them might point at a
	// manifest to delete); lied: tags whose digest header named another
	// manifest than the one served.
	unresolved, lied []string
	// listedBy maps a manifest to the tagged indexes that list it,
	// directly or through nested indexes.
	listedBy map[string][]string
	// tooSlow says why nothing may be deleted on this view: resolving
	// it took longer than the window.
	tooSlow string
}

// newView builds a view from tag → digest, resolved no earlier than at.
func newView(at time.Time, current map[string]string) *view {
	v := &view{at: at, current: current, pointsAt: map[string][]string{}, listedBy: map[string][]string{}}
	for t, d := range current {
		if d != "" {
			v.pointsAt[d] = append(v.pointsAt[d], t)
		}
	}
	for _, ts := range v.pointsAt {
		sort.Strings(ts)
	}
	return v
}

// round resolves every tag of the repository afresh: it lists the tags,
// resolves each (one HEAD for a tag whose digest the last view knows, a
// GET, hashed, for a new or moved one), and reads every tagged index to
// learn what it lists (an index's children are read once per digest).
// The new view replaces the old one; the round's first request bounds
// its age.
func (r *repoRun) round(ctx context.Context) error {
	began := r.clock()
	tags, err := r.reg.ListTags(ctx, r.rp.Repository)
	if err != nil {
		return fmt.Errorf("listing tags: %w", err)
	}
	// A tag is resolved with a HEAD against the digest last seen for it
	// (the plan's, before the first view), with a GET where that differs.
	prev := map[string]string{}
	if v := r.view(); v != nil {
		prev = v.current
	} else {
		for _, td := range r.rp.Tags {
			prev[td.Tag] = td.Digest
		}
	}
	current := make(map[string]string, len(tags))
	var (
		mu              sync.Mutex
		unresolved, lie []string
		indexes         = map[string]bool{}
	)
	forEach(ctx, r.opts.Concurrency, len(tags), func(ctx context.Context, i int) {
		t := tags[i]
		d, mt, err := r.resolve(ctx, t, prev[t])
		mu.Lock()
		defer mu.Unlock()
		switch {
		case errors.Is(err, retention.ErrNotFound):
			// deleted since it was listed
		case errors.Is(err, errHeaderLies):
			current[t] = ""
			lie = append(lie, t)
			r.log.Error("the registry's digest header disagrees with the manifest it serves; no manifest will be deleted by digest in this repository", "tag", t, "error", err)
		case err != nil:
			current[t] = ""
			unresolved = append(unresolved, t)
			r.log.Warn("could not resolve a tag; no manifest will be deleted by digest in this repository", "tag", t, "error", err)
		default:
			current[t] = d
			if manifest.IsIndexMediaType(mt) {
				indexes[d] = true
			}
		}
	})
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted while resolving tags: %w", err)
	}
	v := newView(began, current)
	v.unresolved, v.lied = unresolved, lie
	r.readIndexes(ctx, v, indexes)
	r.setView(v)
	return nil
}

// readIndexes fills v.listedBy from the indexes tags point at. An index
// that cannot be read makes its tags unresolved: what it lists is
// unknown.
func (r *repoRun) readIndexes(ctx context.Context, v *view, indexes map[string]bool) {
	ds := make([]string, 0, len(indexes))
	for d := range indexes {
		ds = append(ds, d)
	}
	sort.Strings(ds)
	for _, d := range ds {
		if err := r.reach(ctx, d, d, v.listedBy, 0); err != nil {
			v.unresolved = append(v.unresolved, v.pointsAt[d]...)
			r.log.Warn("could not read a tagged index; no manifest will be deleted by digest in this repository", "index", d, "error", err)
		}
	}
	sort.Strings(v.unresolved)
	sort.Strings(v.lied)
}

// reach records top in into for every manifest the index digest lists,
// through nested indexes (up to manifest.MaxIndexDepth).
func (r *repoRun) reach(ctx context.Context, digest, top string, into map[string][]string, depth int) error {
	if depth > manifest.MaxIndexDepth {
		return fmt.Errorf("indexes nested deeper than %d under %s", manifest.MaxIndexDepth, top)
	}
	children, err := r.children(ctx, digest)
	if err != nil {
		return err
	}
	for _, c := range children {
		if slices.Contains(into[c.digest], top) {
			continue
		}
		into[c.digest] = append(into[c.digest], top)
		if c.index {
			if err := r.reach(ctx, c.digest, top, into, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

type child struct {
	digest string
	index  bool
}

// children returns what the index digest lists: from the fresh listing
// where it was read, else from the registry, once per digest (a digest's
// content never changes).
func (r *repoRun) children(ctx context.Context, digest string) ([]child, error) {
	r.mu.Lock()
	cs, ok := r.childrenOf[digest]
	r.mu.Unlock()
	if ok {
		return cs, nil
	}
	descs, err := r.reg.Children(ctx, r.rp.Repository, digest)
	if err != nil {
		return nil, err
	}
	cs = make([]child, 0, len(descs))
	for _, d := range descs {
		cs = append(cs, child{digest: d.Digest.String(), index: manifest.IsIndexMediaType(string(d.MediaType))})
	}
	r.mu.Lock()
	r.childrenOf[digest] = cs
	r.mu.Unlock()
	return cs, nil
}

// view returns the current view (nil before the first).
func (r *repoRun) view() *view {
	r.viewMu.RLock()
	defer r.viewMu.RUnlock()
	return r.v
}

// setView makes v the current view, counts the round, and marks it too
// slow when resolving it took as long as the window.
func (r *repoRun) setView(v *view) {
	if took := r.clock().Sub(v.at); took >= r.opts.VerifyWindow {
		v.tooSlow = fmt.Sprintf("resolving the repository's %d tags took %s, not less than verifyWindow %s, so no deletion here can rely on a fresh resolution: raise verifyWindow", len(v.current), took.Round(time.Millisecond), r.opts.VerifyWindow)
		r.log.Error("resolving every tag takes longer than verifyWindow; nothing is deleted here", "took", took, "verifyWindow", r.opts.VerifyWindow)
	}
	r.viewMu.Lock()
	defer r.viewMu.Unlock()
	r.v = v
	r.rounds++
}

// resolvedAll fails the first resolution when a tag could not be
// resolved: it might point at anything, so nothing is deleted here, and
// the repository fails (exit 1), so a registry that answers 500 cannot
// pass for a run that pruned.
func (v *view) resolvedAll() error {
	if len(v.lied) > 0 {
		return fmt.Errorf("re-reading tags before deleting: for tag(s) %s %v; the plan uses the hash, so no digest this registry reports is trusted and nothing is deleted here", joinTags(v.lied), errHeaderLies)
	}
	if len(v.unresolved) > 0 {
		return fmt.Errorf("re-reading tags before deleting: %s could not be resolved", joinTags(v.unresolved))
	}
	if v.tooSlow != "" {
		return errors.New(v.tooSlow)
	}
	return nil
}
