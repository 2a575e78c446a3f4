package oci

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/regprune/regprune/retention"
	mf "github.com/regprune/regprune/retention/manifest"
)

// maxIndexDepth bounds index nesting (an index of indexes of ...). Real
// images nest one level at most; content addressing rules out cycles, so
// this only stops pathological content.
const maxIndexDepth = mf.MaxIndexDepth

// List returns everything the planner needs about repo: every tag with
// its digest (one manifest GET per tag, index types accepted, so a
// multi-arch tag resolves to its index), each distinct manifest parsed
// once (media type, children, subject), nested indexes fetched by digest
// once, and, when needTime is set, the creation time of each digest a
// non-attachment tag points at (at most one config blob per digest, none
// when needTime is false). Subjects of attachment tags that are neither
// a tag's digest nor a known child are checked with one HEAD; those that
// do not exist are put in Listing.Missing.
//
// Any failure fails the whole listing: a partial listing would let the
// planner delete what it did not see.
func (c *Client) List(ctx context.Context, repo string, needTime bool, now time.Time) (retention.Listing, error) {
	rc, err := c.repoTransport(ctx, repo)
	if err != nil {
		return retention.Listing{}, fmt.Errorf("listing %s: %w", repo, err)
	}
	tags, err := c.paginate(ctx, rc.name, rc.rt, rc.url("tags/list"), tagsField)
	if err != nil {
		return retention.Listing{}, fmt.Errorf("listing tags of %s: %w", repo, err)
	}
	l := &lister{c: c, rc: rc, now: now, knows: c.opts.cache != nil && c.opts.cache.Knows(repo)}
	listing := retention.Listing{
		Repository: repo,
		Tags:       make([]retention.Tag, len(tags)),
		Manifests:  map[string]retention.Manifest{},
		Missing:    map[string]bool{},
	}
	if err := l.resolveTags(ctx, &listing, tags); err != nil {
		return retention.Listing{}, err
	}
	resolved := l.manifests.values()
	tops := map[string]*manifest{} // what tags point at
	timed := map[string]bool{}     // digests of non-attachment tags
	for _, t := range listing.Tags {
		tops[t.Digest] = resolved[t.Digest]
		if _, ok := mf.AttachmentSubject(t.Name); !ok {
			timed[t.Digest] = true
		}
	}
	topList := sortedKeys(tops)
	// Nested indexes: child indexes by digest, once.
	err = c.forEach(ctx, len(topList), func(ctx context.Context, i int) error {
		return l.expand(ctx, tops[topList[i]], 0)
	})
	if err != nil {
		return retention.Listing{}, fmt.Errorf("reading indexes of %s: %w", repo, err)
	}
	if needTime {
		timedList := sortedKeys(timed)
		err = c.forEach(ctx, len(timedList), func(ctx context.Context, i int) error {
			_, err := l.created(ctx, tops[timedList[i]], 0)
			return err
		})
		if err != nil {
			return retention.Listing{}, fmt.Errorf("reading creation times in %s: %w", repo, err)
		}
	}
	l.record(&listing)
	if err := l.checkSubjects(ctx, &listing, resolved); err != nil {
		return retention.Listing{}, err
	}
	return listing, nil
}

// resolveTags points every tag at a digest, one GET each. A tag whose
// manifest answers 404 went away since tags/list (another run deleted it
// a moment ago, or Distribution 2.x left a tag without its manifest): it
// is gone for this run, noted, and the rest is planned.
func (l *lister) resolveTags(ctx context.Context, listing *retention.Listing, tags []string) error {
	gone := make([]bool, len(tags))
	err := l.c.forEach(ctx, len(tags), func(ctx context.Context, i int) error {
		m, err := l.resolve(ctx, tags[i], &gone[i])
		if m != nil {
			listing.Tags[i] = retention.Tag{Name: tags[i], Digest: m.digest}
		}
		return err
	})
	if err != nil {
		return err
	}
	listing.Tags, listing.Notes = dropGone(listing.Tags, tags, gone)
	return nil
}

// record puts into the listing the fetched manifests, with their
// creation times, and the children known by descriptor only.
func (l *lister) record(listing *retention.Listing) {
	fetched := l.manifests.values()
	times := l.times.values()
	for d, m := range fetched {
		rec := m.record()
		if ct, ok := times[d]; ok {
			rec.Created, rec.CreatedSource = ct.Time, ct.Source
		}
		if c := l.c.opts.cache; c != nil && rec.Created.IsZero() {
			if first, ok := c.FirstSeen(l.rc.name, d); ok {
				rec.FirstSeen = first
			}
		}
		listing.Manifests[d] = rec
	}
	for _, m := range fetched {
		for _, ch := range m.children {
			d := ch.Digest.String()
			if _, ok := listing.Manifests[d]; !ok {
				listing.Manifests[d] = retention.Manifest{Digest: d, MediaType: string(ch.MediaType)}
			}
		}
	}
}

// checkSubjects checks, with one HEAD each, the subjects of attachment
// tags that nothing in the listing accounts for, and places them.
func (l *lister) checkSubjects(ctx context.Context, listing *retention.Listing, resolved map[string]*manifest) error {
	unknown := map[string]bool{}
	for _, t := range listing.Tags {
		subject, ok := mf.AttachmentSubject(t.Name)
		if !ok {
			continue
		}
		if _, known := listing.Manifests[subject]; !known {
			unknown[subject] = true
		}
	}
	subjects := sortedKeys(unknown)
	missing := make([]bool, len(subjects))
	err := l.c.forEach(ctx, len(subjects), func(ctx context.Context, i int) error {
		ok, err := l.rc.exists(ctx, subjects[i])
		if err != nil {
			return fmt.Errorf("checking subject %s@%s: %w", listing.Repository, subjects[i], err)
		}
		missing[i] = !ok
		return nil
	})
	if err != nil {
		return err
	}
	return l.placeMissing(ctx, listing, subjects, missing, resolved)
}

// lister holds what one List call learned, by digest.
type lister struct {
	c         *Client
	rc        *repoConn
	now       time.Time
	manifests memo[*manifest]      // by manifest digest
	configs   memo[mf.ConfigFacts] // by config digest
	times     memo[mf.Created]     // by manifest digest
	// knows: the cache holds something of this repository, so tags are
	// resolved with HEAD and read from it.
	knows bool
}

// byDigest returns the manifest of digest, fetching it once.
func (l *lister) byDigest(ctx context.Context, digest string) (*manifest, error) {
	return l.manifests.do(ctx, digest, func() (*manifest, error) {
		if m := l.rc.cachedManifest(ctx, digest); m != nil {
			return m, nil
		}
		return l.rc.getManifest(ctx, digest)
	})
}

// expand fetches the child indexes of m, recursively.
func (l *lister) expand(ctx context.Context, m *manifest, depth int) error {
	if !m.isIndex() {
		return nil
	}
	if depth >= maxIndexDepth {
		return fmt.Errorf("index %s nested more than %d levels", m.digest, maxIndexDepth)
	}
	for _, ch := range m.children {
		if !mf.IsIndexMediaType(string(ch.MediaType)) {
			continue
		}
		child, err := l.byDigest(ctx, ch.Digest.String())
		if err != nil {
			return fmt.Errorf("reading child index %s of %s: %w", ch.Digest, m.digest, err)
		}
		if err := l.expand(ctx, child, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// exists reports whether a manifest exists, with one HEAD.
func (rc *repoConn) exists(ctx context.Context, digest string) (bool, error) {
	resp, err := rc.do(ctx, http.MethodHead, "manifests/"+digest, manifestAccept, 0, http.StatusOK, http.StatusNotFound)
	if err != nil {
		return false, err
	}
	return resp.status == http.StatusOK, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// dropGone removes the tags whose manifest was gone when read, with one
// note naming them.
func dropGone(listed []retention.Tag, names []string, gone []bool) ([]retention.Tag, []string) {
	kept := listed[:0]
	var lost []string
	for i, t := range listed {
		if gone[i] {
			lost = append(lost, names[i])
			continue
		}
		kept = append(kept, t)
	}
	if len(lost) == 0 {
		return kept, nil
	}
	word := "tags"
	if len(lost) == 1 {
		word = "tag"
	}
	return kept, []string{fmt.Sprintf("%d %s listed but gone when read (manifest unknown): %s; left out of this run",
		len(lost), word, strings.Join(lost, ", "))}
}

// placeMissing sorts the subjects that do not exist here into orphans
// (Listing.Missing: their signature says they lived here) and subjects
// that may live elsewhere (Listing.Unplaced, with the reason they are
// kept). Only missing subjects cost requests: one payload GET per .sig.
func (l *lister) placeMissing(ctx context.Context, listing *retention.Listing, subjects []string, missing []bool, resolved map[string]*manifest) error {
	sigs := map[string][]*manifest{}
	for _, t := range listing.Tags {
		if subject, ok := mf.AttachmentSubject(t.Name); ok && strings.HasSuffix(t.Name, ".sig") {
			sigs[subject] = append(sigs[subject], resolved[t.Digest])
		}
	}
	for i, s := range subjects {
		if !missing[i] {
			continue
		}
		orphan, why, err := l.placeSubject(ctx, s, sigs[s])
		if err != nil {
			return fmt.Errorf("placing subject %s@%s: %w", l.rc.name, s, err)
		}
		if orphan {
			l.c.opts.logger.DebugContext(ctx, "attachment subject does not exist", "repository", l.rc.name, "digest", s, "reason", "HEAD 404; its signature names this repository")
			listing.Missing[s] = true
			continue
		}
		if listing.Unplaced == nil {
			listing.Unplaced = map[string]string{}
		}
		listing.Unplaced[s] = why
	}
	return nil
}

// resolve reads the manifest a listed tag points at; a tag whose manifest
// answers 404 sets *gone and is no error.
func (l *lister) resolve(ctx context.Context, tag string, gone *bool) (*manifest, error) {
	if m, err := l.resolveCached(ctx, tag); m != nil || err != nil {
		if m != nil {
			l.manifests.put(m.digest, m)
		}
		return m, err
	}
	m, err := l.rc.getManifest(ctx, tag)
	if err == nil && l.c.opts.cache != nil {
		l.c.opts.cache.PutTagDigest(l.rc.name, tag, m.digest)
	}
	if errors.Is(err, ErrNotFound) {
		*gone = true
		l.c.opts.logger.WarnContext(ctx, "tag listed but its manifest is gone", "repository", l.rc.name, "tag", tag, "reason", err.Error())
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("resolving tag %s:%s: %w", l.rc.name, tag, err)
	}
	l.manifests.put(m.digest, m)
	return m, nil
}
