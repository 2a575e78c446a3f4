package execute

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/manifest"
)

// execute passes one deletion through the gate and carries it out. It
// sets d.Status and d.Reason or d.Error.
func (r *repoRun) execute(ctx context.Context, d *retention.Deletion, recovered bool) {
	if why := r.admit(ctx, d, recovered); why != "" {
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
	case errors.Is(err, retention.ErrUnnamedTags):
		d.Status, d.Reason = retention.StatusSkipped, "nothing sent: "+err.Error()
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

// skipError is a deletion the gate stopped right before its request.
type skipError struct{ why string }

func (e *skipError) Error() string { return e.why }

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
	if _, attachment := manifest.AttachmentSubject(tag); attachment && kind == retention.KindReferrer {
		if p, ok := r.rules.Protect.Match(tag); ok {
			return fmt.Sprintf("tag %s is protected by protect.tags %q", tag, p.String())
		}
		return ""
	}
	return r.rules.Forbidden(tag, r.created[tag], r.now)
}

// deleteTags removes the tags of a tag-only deletion. When the gate
// stops it after some of its tags went, the deletion is reported done
// for those (its Tags become them, and so does the restore record), with
// the others named in its reason.
func (r *repoRun) deleteTags(ctx context.Context, d *retention.Deletion) error {
	removed, err := r.untag(ctx, d, d.Tags)
	var skip *skipError
	if len(removed) == 0 || !errors.As(err, &skip) {
		return err
	}
	stayed := outside(d.Tags, removed)
	d.Tags = removed
	r.record(ctx, d, removed)
	d.Reason = fmt.Sprintf("partly: tag(s) %s removed; %s stayed: %s", joinTags(removed), joinTags(stayed), skip.why)
	return nil
}

// untag deletes each of tags (of the deletion d) that is still listed,
// one request each, each right after the gate's fresh check of d, and
// returns those it deleted. A tag already gone counts as done; a
// registry that refuses to delete a tag alone stops it with
// errTagDeletionRefused.
func (r *repoRun) untag(ctx context.Context, d *retention.Deletion, tags []string) (removed []string, err error) {
	for _, t := range tags {
		sent := false
		err := r.attempt(ctx, d, func(onIt []string) error {
			if !slices.Contains(onIt, t) {
				return nil // gone already
			}
			sent = true
			return r.reg.DeleteTag(ctx, r.rp.Repository, t)
		})
		if errors.Is(err, retention.ErrUnsupported) {
			return removed, errTagDeletionRefused
		}
		if err != nil && !errors.Is(err, retention.ErrNotFound) {
			return removed, err
		}
		if sent && err == nil {
			removed = append(removed, t)
		}
	}
	return removed, nil
}

// send is the gate's last step before a request for d: a fresh check,
// and for the first request of d the record that restore reads (the
// manifest with the tags it has now). It returns the tags on d's digest,
// or the skipError that stops d. A record written so slowly that the
// resolution aged past the window is checked again.
func (r *repoRun) send(ctx context.Context, d *retention.Deletion) ([]string, error) {
	for range 3 {
		onIt, why, err := r.fresh(ctx, d)
		if err != nil {
			return nil, err
		}
		if why != "" {
			return nil, &skipError{why}
		}
		if !r.recordOnce(ctx, d, onIt) || r.opts.noGate || r.clock().Sub(r.view().at) < r.opts.VerifyWindow {
			return onIt, nil
		}
	}
	return nil, &skipError{"the record for restore took longer than verifyWindow three times"}
}

// attempt sends one request of d (req, given the tags the gate found on
// d's digest) right after the gate's fresh check, and sends it again,
// each time through the gate again, while the registry answers that it
// may (retention.SendAgainError: 429, 5xx, a dropped connection) and
// fewer than DeleteAttempts were made: a transport never resends a
// DELETE or a PUT, so no resend leaves the window.
func (r *repoRun) attempt(ctx context.Context, d *retention.Deletion, req func(onIt []string) error) error {
	for n := 1; ; n++ {
		onIt, err := r.send(ctx, d)
		if err != nil {
			return err
		}
		err = req(onIt)
		var again *retention.SendAgainError
		if !errors.As(err, &again) || n >= r.opts.DeleteAttempts {
			return err
		}
		wait := again.After
		if wait <= 0 {
			wait = r.opts.DeleteBackoff << (n - 1)
		}
		r.log.Info("the registry asked to try again: waiting, then through the gate again", "digest", d.Digest, "attempt", n, "wait", wait, "error", err)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return err
		}
	}
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
	if _, err := r.untag(ctx, d, d.Tags); err != nil && !errors.Is(err, errTagDeletionRefused) {
		return err
	}
	return r.deleteDigest(ctx, d)
}

// deleteDigest deletes by digest, right after the gate's fresh check,
// naming the tags the gate found on it.
func (r *repoRun) deleteDigest(ctx context.Context, d *retention.Deletion) error {
	err := r.attempt(ctx, d, func(onIt []string) error {
		return r.reg.DeleteDigest(ctx, r.rp.Repository, d.Digest, onIt)
	})
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
