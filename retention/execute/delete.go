package execute

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/regprune/regprune/retention"
)

// execute checks one deletion against the repository's present state and
// the rules, then carries it out. It sets d.Status and d.Reason or d.Error.
func (r *repoRun) execute(ctx context.Context, d *retention.Deletion) {
	if why := r.check(ctx, d); why != "" {
		d.Status, d.Reason = retention.StatusSkipped, why
		r.log.Info("deletion skipped", "digest", d.Digest, "kind", string(d.Kind), "reason", why)
		return
	}
	if r.isUnsupported() {
		d.Status, d.Error = retention.StatusFailed, "not attempted: the registry refuses DELETE (see the repository's error)"
		return
	}
	var err error
	var skip *skipError
	if d.Kind == retention.KindTag {
		err = r.deleteTags(ctx, d)
	} else {
		err = r.deleteManifest(ctx, d)
	}
	switch {
	case err == nil:
		d.Status = retention.StatusDeleted
	case errors.As(err, &skip):
		d.Status, d.Reason = retention.StatusSkipped, skip.why
		r.log.Info("deletion skipped", "digest", d.Digest, "kind", string(d.Kind), "reason", skip.why)
	case errors.Is(err, errAlreadyGone):
		d.Status, d.Reason = retention.StatusSkipped, "already gone: the registry answered 404 (another run or client deleted it first); not counted as deleted here"
	case errors.Is(err, errTagDeletionRefused):
		// Invariant: a registry that cannot delete a tag alone keeps the
		// tag, and the manifest stays for its other tags.
		d.Status, d.Reason = retention.StatusSkipped, "the registry refuses to delete a tag alone (405/UNSUPPORTED): the tag stays, and so does the manifest"
	case errors.Is(err, retention.ErrReferenced) && d.Kind != retention.KindImage && d.Kind != retention.KindIndex:
		// A child or referrer the registry will not let go: it stays.
		d.Status, d.Reason = retention.StatusSkipped, "the registry refuses, the manifest stays: "+err.Error()
		r.log.Info("deletion skipped", "digest", d.Digest, "kind", string(d.Kind), "reason", err.Error())
	case errors.Is(err, retention.ErrUnsupported):
		r.setUnsupported()
		d.Status, d.Error = retention.StatusFailed, "the registry refuses DELETE (see the repository's error)"
	default:
		d.Status, d.Error = retention.StatusFailed, err.Error()
		r.log.Error("deletion failed", "digest", d.Digest, "kind", string(d.Kind), "error", err)
	}
}

var errTagDeletionRefused = errors.New("tag deletion refused")

// check returns why d must not run now, or "".
func (r *repoRun) check(ctx context.Context, d *retention.Deletion) string {
	r.view.RLock()
	defer r.view.RUnlock()
	// Every tag of the deletion must still point where the plan saw it,
	// and may not be protected or too young under the rules in force.
	for _, t := range d.Tags {
		cur, ok := r.current[t]
		switch {
		case !ok && d.Kind == retention.KindTag:
			return fmt.Sprintf("tag %s no longer exists", t)
		case ok && cur == "":
			return fmt.Sprintf("tag %s could not be resolved right before deleting", t)
		case ok && cur != d.Digest:
			return fmt.Sprintf("tag %s moved to %s since the plan", t, cur)
		}
		if why := r.forbidden(t, d.Kind); why != "" {
			return why
		}
	}
	if d.Kind == retention.KindTag {
		return ""
	}
	// A manifest deleted by digest takes every tag on it: no tag outside
	// the plan may point at it now, and no tag may be of unknown digest.
	if extra := r.extraTags(d); len(extra) > 0 {
		return fmt.Sprintf("tag(s) %s now point at it", joinTags(extra))
	}
	if len(r.unresolved) > 0 {
		return fmt.Sprintf("tag(s) %s could not be resolved, and might point at it", joinTags(r.unresolved))
	}
	if tag, ok := r.reachedByUnseen[d.Digest]; ok {
		return fmt.Sprintf("the index %s, pushed or moved since the plan, references it", tag)
	}
	if r.blocked != "" {
		return r.blocked
	}
	if index, ok := r.reachedByUndeleted[d.Digest]; ok {
		return fmt.Sprintf("the index %s, which was not deleted, references it", index)
	}
	switch d.Kind {
	case retention.KindChild:
		if st := r.statusOf(d.Parent); st != retention.StatusDeleted {
			return fmt.Sprintf("its index %s was not deleted", d.Parent)
		}

	case retention.KindUntagged:
		return r.checkUntagged(d)

	case retention.KindReferrer:
		if st, planned := r.plannedStatus(d.Parent); planned {
			if st != retention.StatusDeleted {
				return fmt.Sprintf("its subject %s was not deleted", d.Parent)
			}
			break
		}
		// The subject was gone when the plan was made: make sure it still is.
		ok, err := r.reg.Exists(ctx, r.rp.Repository, d.Parent)
		if err != nil {
			return fmt.Sprintf("could not check that its subject %s is gone: %v", d.Parent, err)
		}
		if ok {
			return fmt.Sprintf("its subject %s exists again", d.Parent)
		}
	}
	return ""
}

// checkUntagged returns why an untagged deletion must not run, or "":
// it names tags, the rules in force forbid it, a tagged index lists it,
// or the untagged manifest it goes after was not deleted.
func (r *repoRun) checkUntagged(d *retention.Deletion) string {
	if len(d.Tags) > 0 {
		return "an untagged deletion that names tags"
	}
	if why := r.rules.ForbiddenUntagged(r.rp.Repository, d.Pushed, r.now); why != "" {
		return why
	}
	if index, ok := r.reachedByTagged[d.Digest]; ok {
		return fmt.Sprintf("%s lists it", index)
	}
	if d.Parent != "" {
		if st := r.statusOf(d.Parent); st != retention.StatusDeleted {
			return fmt.Sprintf("%s, which it goes after, was not deleted", d.Parent)
		}
	}
	return ""
}

// forbidden enforces protect.tags and minAge again at execution time, also
// for saved plans made under other rules; a signature follows its
// subject, whatever its own age.
func (r *repoRun) forbidden(tag string, kind retention.Kind) string {
	if _, attachment := retention.AttachmentSubject(tag); attachment && kind == retention.KindReferrer {
		if p, ok := r.rules.Protect.Match(tag); ok {
			return fmt.Sprintf("tag %s is protected by protect.tags %q", tag, p.String())
		}
		return ""
	}
	return r.rules.Forbidden(tag, r.created[tag], r.now)
}

// extraTags lists the tags pointing at d.Digest now that the deletion
// does not name.
func (r *repoRun) extraTags(d *retention.Deletion) []string {
	named := map[string]bool{}
	for _, t := range d.Tags {
		named[t] = true
	}
	var extra []string
	for _, t := range r.pointsAt[d.Digest] {
		if !named[t] {
			extra = append(extra, t)
		}
	}
	return extra
}

// deleteTags removes the tags of a tag-only deletion.
func (r *repoRun) deleteTags(ctx context.Context, d *retention.Deletion) error {
	r.record(ctx, d)
	return r.untag(ctx, d.Tags)
}

// untag deletes each of tags that still exists, one request each. A tag
// already gone counts as done; a registry that refuses to delete a tag
// alone stops it with errTagDeletionRefused.
func (r *repoRun) untag(ctx context.Context, tags []string) error {
	for _, t := range tags {
		r.view.RLock()
		_, ok := r.current[t]
		r.view.RUnlock()
		if !ok {
			continue
		}
		err := r.reg.DeleteTag(ctx, r.rp.Repository, t)
		if errors.Is(err, retention.ErrUnsupported) {
			return errTagDeletionRefused
		}
		if err != nil && !errors.Is(err, retention.ErrNotFound) {
			return err
		}
	}
	return nil
}

// deleteManifest deletes a manifest whose every tag goes: by digest, in
// one request, which removes its tags with it (Distribution, Harbor,
// ACR, Quay, the provider APIs). A registry that refuses while tags
// remain (Google's) is switched to tags first for the rest of the run:
// the manifest's tags one by one, then the digest. A kill between the
// two would leave the manifest untagged and unseen by any later listing,
// which is why the one-request order comes first wherever it works.
func (r *repoRun) deleteManifest(ctx context.Context, d *retention.Deletion) error {
	if r.shared.tagsFirst(r.rp.Repository) {
		return r.deleteTagsFirst(ctx, d)
	}
	err := r.deleteDigest(ctx, d)
	if errors.Is(err, retention.ErrTagsRemain) {
		r.shared.setTagsFirst(r.rp.Repository, r.log)
		return r.deleteTagsFirst(ctx, d)
	}
	return err
}

// deleteTagsFirst removes the manifest's tags, then the manifest. A
// registry that cannot delete a tag alone gets the digest delete
// straight away.
func (r *repoRun) deleteTagsFirst(ctx context.Context, d *retention.Deletion) error {
	if err := r.untag(ctx, d.Tags); err != nil && !errors.Is(err, errTagDeletionRefused) {
		return err
	}
	return r.deleteDigest(ctx, d)
}

// deleteDigest checks the repository once more and deletes by digest.
func (r *repoRun) deleteDigest(ctx context.Context, d *retention.Deletion) error {
	if why, err := r.refresh(ctx, d); err != nil || why != "" {
		if err != nil {
			return err
		}
		return &skipError{why}
	}
	r.record(ctx, d)
	err := r.reg.DeleteDigest(ctx, r.rp.Repository, d.Digest)
	if errors.Is(err, retention.ErrNotFound) {
		// Already gone: the goal is reached, but not by this run; two
		// overlapping runs must not both claim it.
		return errAlreadyGone
	}
	return err
}

var errAlreadyGone = errors.New("already gone")

// runState is what the repositories of one apply share: which
// registries refused a digest delete while tags remained.
type runState struct {
	mu         sync.Mutex
	tagsFirstH map[string]bool // by canonical host
	journalOff bool
}

func (s *runState) journalFailed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.journalOff
}

// failJournal turns the journal off, reporting whether it was on.
func (s *runState) failJournal() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	was := !s.journalOff
	s.journalOff = true
	return was
}

func (s *runState) tagsFirst(repo string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tagsFirstH[retention.CanonicalHost(retention.Host(repo))]
}

func (s *runState) setTagsFirst(repo string, log *slog.Logger) {
	host := retention.CanonicalHost(retention.Host(repo))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tagsFirstH == nil {
		s.tagsFirstH = map[string]bool{}
	}
	if !s.tagsFirstH[host] {
		log.Info("the registry refuses to delete a manifest while tags point at it: deleting tags first from now on", "registry", host)
	}
	s.tagsFirstH[host] = true
}

func (r *repoRun) statusOf(digest string) retention.Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status[digest]
}

// plannedStatus reports the status of the deletion of digest in this
// run, and whether the plan deletes it at all.
func (r *repoRun) plannedStatus(digest string) (retention.Status, bool) {
	for _, d := range r.rp.Deletions {
		if d.Digest == digest && d.Kind != retention.KindTag {
			return r.statusOf(digest), true
		}
	}
	return "", false
}

func (r *repoRun) isUnsupported() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.unsupported
}

func (r *repoRun) setUnsupported() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.unsupported = true
}
