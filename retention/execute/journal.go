package execute

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/regprune/regprune/retention"
)

// Journal keeps, outside the process, the deletions an apply has begun
// and not settled, so that the next apply of the repository finishes
// what a kill interrupted: the children of an index deleted just before
// the kill, the referrers of a deleted subject, a manifest whose tags
// went first (on registries that need that). retention/state's Store is
// one. Its failures are logged and the run goes on without it.
type Journal interface {
	Begin(repo string, dels []retention.Deletion) error
	Settle(repo, digest string, kind retention.Kind) error
	Pending(repo string) ([]retention.Deletion, error)
	Clear(repo string) error
}

// journalOff is the run's Journal once one of its calls failed.
func (r *repoRun) journal() Journal {
	if r.opts.Journal == nil || r.shared.journalFailed() {
		return nil
	}
	return r.opts.Journal
}

func (r *repoRun) journalError(what string, err error) {
	if err != nil && r.shared.failJournal() {
		r.log.Warn("the state directory's journal failed: going on without it", "step", what, "error", err)
	}
}

// pendingFromEarlier returns what an earlier run left pending here.
func (r *repoRun) pendingFromEarlier() []retention.Deletion {
	j := r.journal()
	if j == nil {
		return nil
	}
	p, err := j.Pending(r.rp.Repository)
	r.journalError("reading", err)
	return p
}

// begin journals the plan's deletions, with what recovery left, before
// the first DELETE.
func (r *repoRun) begin(left []retention.Deletion) {
	if j := r.journal(); j != nil {
		r.journalError("writing", j.Begin(r.rp.Repository, append(left, r.rp.Deletions...)))
	}
}

// settle marks d as settled unless a later run should take it up: a
// deletion that failed, or was not started because the run was
// interrupted, stays pending.
func (r *repoRun) settle(d *retention.Deletion) {
	j := r.journal()
	if j == nil {
		return
	}
	if d.Status == retention.StatusFailed || (d.Status == retention.StatusSkipped && strings.HasPrefix(d.Reason, "interrupted")) {
		return
	}
	r.journalError("settling", j.Settle(r.rp.Repository, d.Digest, d.Kind))
}

// finishJournal forgets the journal once every deletion is settled.
func (r *repoRun) finishJournal(ctx context.Context) {
	j := r.journal()
	if j == nil || ctx.Err() != nil {
		return
	}
	for _, d := range append(r.recovered, r.rp.Deletions...) {
		if d.Status == retention.StatusFailed {
			return
		}
	}
	r.journalError("clearing", j.Clear(r.rp.Repository))
}

// recover finishes the deletions an earlier run left pending, on the
// repository as listed now (verify has run): a manifest is deleted only
// when no tag points at it now, the parent it followed (an index, a
// subject) is gone, and no tagged index lists it. Anything else stays,
// for the plans to decide. It returns the entries that failed, to be
// journaled again.
func (r *repoRun) recover(ctx context.Context, pending []retention.Deletion) (left []retention.Deletion) {
	planned := map[string]bool{}
	for _, d := range r.rp.Deletions {
		planned[d.Digest] = true
	}
	for i := range pending {
		d := pending[i]
		if ctx.Err() != nil {
			return append(left, pending[i:]...)
		}
		if d.Kind == retention.KindTag || planned[d.Digest] {
			continue // a tag alone, or planned again: the plan decides
		}
		why, err := r.recoverable(ctx, &d)
		if err != nil {
			d.Status, d.Error = retention.StatusFailed, err.Error()
		} else if why != "" {
			r.log.Info("left pending by an interrupted run, and stays", "digest", d.Digest, "kind", string(d.Kind), "reason", why)
			continue
		} else {
			err = r.deleteManifest(ctx, &d)
			var skip *skipError
			switch {
			case errors.Is(err, errAlreadyGone):
				continue // gone already: nothing to report
			case errors.As(err, &skip):
				r.log.Info("left pending by an interrupted run, and stays", "digest", d.Digest, "kind", string(d.Kind), "reason", skip.why)
				continue
			case err != nil:
				d.Status, d.Error = retention.StatusFailed, err.Error()
			default:
				d.Status = retention.StatusDeleted
			}
		}
		d.Reason = "left pending by an interrupted run: " + d.Reason
		r.progress(d.Status)
		r.recovered = append(r.recovered, d)
		if d.Status == retention.StatusFailed {
			d.Status, d.Error = "", ""
			left = append(left, d)
		}
	}
	return left
}

// recoverable says why a pending deletion must not run now, or "".
func (r *repoRun) recoverable(ctx context.Context, d *retention.Deletion) (string, error) {
	r.view.RLock()
	tags := r.pointsAt[d.Digest]
	r.view.RUnlock()
	// A tag on it stays, so it stays; but a referrer's own attachment
	// tags (sha256-SUBJECT.sig), which it was to take along when its
	// subject went, are no reason to keep it once the subject is gone.
	for _, t := range tags {
		subject, attachment := retention.AttachmentSubject(t)
		if d.Kind != retention.KindReferrer || !attachment || subject != d.Parent || !slices.Contains(d.Tags, t) {
			return fmt.Sprintf("tag(s) %s point at it now", joinTags(tags)), nil
		}
	}
	if len(r.unresolved) > 0 {
		return fmt.Sprintf("tag(s) %s could not be resolved, and might point at it", joinTags(r.unresolved)), nil
	}
	if index, ok := r.reachedByTagged[d.Digest]; ok {
		return index + " lists it", nil
	}
	if tag, ok := r.reachedByUnseen[d.Digest]; ok {
		return "the index " + tag + " references it", nil
	}
	if d.Parent != "" && d.Parent != d.Digest {
		exists, err := r.reg.Exists(ctx, r.rp.Repository, d.Parent)
		if err != nil {
			return "", fmt.Errorf("checking that %s, which it followed, is gone: %w", d.Parent, err)
		}
		if exists {
			return d.Parent + ", which it followed, was not deleted", nil
		}
	}
	return "", nil
}
