package execute

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/manifest"
)

// The gate is the one check every deletion passes, whatever asked for
// it (a fresh plan, a saved plan, an interrupted run's journal) and
// whatever the request (a digest DELETE, a tag DELETE, a provider's own
// steps such as GHCR's placeholder PUT):
//
//   - admit, once per deletion: the rules in force (what Decide makes of
//     the repository as listed when apply started on it) and the
//     manifest itself (its subject, the index that lists it);
//   - fresh, right before every request: a resolution of every tag of
//     the repository begun at most VerifyWindow earlier, on which the
//     deletion's tags still point at its digest and no other tag does.

// facts is what the gate reads from a manifest itself.
type facts struct {
	subject  string
	children []string
	raw      []byte
	ct       string
}

// manifest reads digest's manifest (from the registry client, which
// answers from its cache only with bytes that hash to digest), once per
// run of the repository.
func (r *repoRun) manifest(ctx context.Context, digest string) (*facts, error) {
	r.mu.Lock()
	f, ok := r.facts[digest]
	r.mu.Unlock()
	if ok {
		return f, nil
	}
	raw, ct, err := r.reg.RawManifest(ctx, r.rp.Repository, digest)
	if err != nil {
		return nil, err
	}
	l, err := manifest.ParseLinks(raw, ct)
	if err != nil {
		return nil, fmt.Errorf("reading the manifest %s: %w", digest, err)
	}
	f = &facts{raw: raw, ct: ct, subject: l.Subject, children: l.Children}
	r.mu.Lock()
	r.facts[digest] = f
	r.mu.Unlock()
	return f, nil
}

// admit returns why d must not go, by the rules in force and by its
// manifest, or "". It runs once per deletion, before its first request.
func (r *repoRun) admit(ctx context.Context, d *retention.Deletion, recovered bool) string {
	if r.opts.noGate {
		return ""
	}
	if d.Kind != retention.KindTag {
		if why := r.itself(ctx, d, recovered); why != "" {
			return why
		}
	}
	return r.inForce(d, recovered)
}

// inForce checks d against the rules in force: protect.tags and minAge
// for each of its tags, the untagged rule, and, where the repository was
// planned afresh when apply started on it, that the fresh plan makes the
// same deletion. A saved plan thus deletes the intersection of what was
// reviewed and what the rules say now.
func (r *repoRun) inForce(d *retention.Deletion, recovered bool) string {
	for _, t := range d.Tags {
		if why := r.forbidden(t, d.Kind); why != "" {
			return why
		}
	}
	if d.Kind == retention.KindUntagged {
		if why := r.checkUntagged(d); why != "" {
			return why
		}
	}
	switch {
	case recovered:
		return r.stillWanted(d)
	case r.inforce == nil:
		return "" // planned in this call by Decide under these rules
	}
	return r.inforce.makes(d)
}

// itself checks d against its manifest: a manifest with a subject goes
// only once that subject is gone; a referrer must name its parent as
// its subject; a child must be listed by an index deleted in this run
// (or recorded deleted by an interrupted one).
func (r *repoRun) itself(ctx context.Context, d *retention.Deletion, recovered bool) string {
	f, err := r.manifest(ctx, d.Digest)
	if errors.Is(err, retention.ErrNotFound) {
		return "already gone: the manifest is not in the repository (another run or client deleted it); not counted as deleted here"
	}
	if err != nil {
		return fmt.Sprintf("could not read the manifest itself right before deleting it: %v", err)
	}
	if f.subject != "" {
		if why := r.subjectGone(ctx, f.subject); why != "" {
			return why
		}
	}
	switch d.Kind {
	case retention.KindReferrer:
		if f.subject != d.Parent && !attachedTo(d.Tags, d.Parent) {
			return fmt.Sprintf("neither its manifest's subject (%q) nor an attachment tag of it names %s, which the deletion follows", f.subject, d.Parent)
		}
		if f.subject == "" {
			// Attached by its tag alone (cosign's sha256-….sig): the
			// subject must be gone too.
			if why := r.subjectGone(ctx, d.Parent); why != "" {
				return why
			}
		}
	case retention.KindUntagged:
		if recovered && d.Parent != "" {
			return r.parentGone(ctx, d.Parent)
		}
	case retention.KindChild:
		if recovered {
			// The journal holds its parent as deleted (stillWanted); it
			// must be gone now too.
			return r.parentGone(ctx, d.Parent)
		}
		if r.statusOf(d.Parent) != retention.StatusDeleted {
			return fmt.Sprintf("its index %s was not deleted", d.Parent)
		}
		pf, err := r.manifest(ctx, d.Parent)
		if err != nil || !slices.Contains(pf.children, d.Digest) {
			return fmt.Sprintf("the index %s, deleted in this run, does not list it", d.Parent)
		}
	}
	return ""
}

// subjectGone returns "" when subject was deleted in this run or is not
// in the repository.
func (r *repoRun) subjectGone(ctx context.Context, subject string) string {
	if r.statusOf(subject) == retention.StatusDeleted {
		return ""
	}
	ok, err := r.reg.Exists(ctx, r.rp.Repository, subject)
	switch {
	case err != nil:
		return fmt.Sprintf("could not check that its subject %s is gone: %v", subject, err)
	case ok:
		return fmt.Sprintf("its subject %s stays", subject)
	}
	return ""
}

// parentGone returns "" when the parent a recovered deletion followed
// is not in the repository.
func (r *repoRun) parentGone(ctx context.Context, parent string) string {
	ok, err := r.reg.Exists(ctx, r.rp.Repository, parent)
	switch {
	case err != nil:
		return fmt.Sprintf("could not check that %s, which it followed, is gone: %v", parent, err)
	case ok:
		return fmt.Sprintf("%s, which it followed, stays", parent)
	}
	return ""
}

// fresh checks d on a resolution of every tag begun less than
// VerifyWindow ago, resolving again first when the last one is older,
// and returns the tags on d's digest now: the request it guards follows
// at once. For a tag-only deletion the tags must still point at its
// digest and another tag keep the manifest; for a deletion by digest no
// tag outside it may point there, no tag may be of unknown digest, and
// no tagged index that stays may list it.
func (r *repoRun) fresh(ctx context.Context, d *retention.Deletion) (onIt []string, why string, err error) {
	r.freshMu.Lock()
	defer r.freshMu.Unlock()
	v := r.view()
	if !r.opts.noGate && r.clock().Sub(v.at) >= r.opts.VerifyWindow {
		if err := r.round(ctx); err != nil {
			return nil, "", fmt.Errorf("resolving every tag again right before deleting: %w", err)
		}
		v = r.view()
	}
	onIt = slices.Clone(v.pointsAt[d.Digest])
	if r.opts.noGate {
		return d.Tags, "", nil
	}
	if why := r.onView(v, d); why != "" {
		return nil, why, nil
	}
	r.noteWindow(r.clock().Sub(v.at))
	return onIt, "", nil
}

// onView returns why d must not run on view v, or "".
func (r *repoRun) onView(v *view, d *retention.Deletion) string {
	if v.tooSlow != "" {
		return v.tooSlow
	}
	for _, t := range d.Tags {
		cur, ok := v.current[t]
		switch {
		case ok && cur == "":
			return fmt.Sprintf("tag %s could not be resolved right before deleting", t)
		case ok && cur != d.Digest:
			return fmt.Sprintf("tag %s moved to %s since the plan", t, cur)
		}
	}
	others := outside(v.pointsAt[d.Digest], d.Tags)
	if d.Kind == retention.KindTag {
		if len(others) == 0 && !r.listedByStaying(v, d.Digest) {
			return "no other tag points at the manifest now, so removing these would leave it untagged"
		}
		return ""
	}
	if len(others) > 0 {
		return fmt.Sprintf("tag(s) %s now point at it", joinTags(others))
	}
	if len(v.lied) > 0 {
		return fmt.Sprintf("the registry's digest header lied for tag(s) %s", joinTags(v.lied))
	}
	if len(v.unresolved) > 0 {
		return fmt.Sprintf("tag(s) %s could not be resolved, and might point at it", joinTags(v.unresolved))
	}
	for _, index := range v.listedBy[d.Digest] {
		if r.statusOf(index) != retention.StatusDeleted {
			return fmt.Sprintf("the index %s, tagged %s, lists it", index, joinTags(v.pointsAt[index]))
		}
	}
	// Set once the index phase is over, before the phases that read it.
	if r.blocked != "" {
		return r.blocked
	}
	if index, ok := r.reachedByUndeleted[d.Digest]; ok {
		return fmt.Sprintf("the index %s, which was not deleted, references it", index[0])
	}
	return ""
}

// listedByStaying reports whether a tagged index that stays lists digest.
func (r *repoRun) listedByStaying(v *view, digest string) bool {
	for _, index := range v.listedBy[digest] {
		if r.statusOf(index) != retention.StatusDeleted {
			return true
		}
	}
	return false
}

// noteWindow keeps the largest time from a resolution to a request
// that relied on it, for the report.
func (r *repoRun) noteWindow(w time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if w > r.largest {
		r.largest = w
	}
}

// outside returns the tags of ts that named does not hold.
func outside(ts, named []string) []string {
	var out []string
	for _, t := range ts {
		if !slices.Contains(named, t) {
			out = append(out, t)
		}
	}
	return out
}

// attachedTo reports whether one of tags is an attachment tag (cosign's
// sha256-<subject>.sig, .att, .sbom) of subject.
func attachedTo(tags []string, subject string) bool {
	for _, t := range tags {
		if s, ok := manifest.AttachmentSubject(t); ok && s == subject {
			return true
		}
	}
	return false
}
