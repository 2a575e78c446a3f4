package execute

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/regprune/regprune/retention"
)

// Journal keeps, outside the process, the deletions an apply has begun
// and not settled, so that the next apply of the repository finishes
// what a kill interrupted: the children of an index deleted just before
// the kill, the referrers of a deleted subject, a manifest whose tags
// went first (on registries that need that). It also keeps each
// deletion that was carried out (Status deleted) until the repository
// is settled, so that what follows it can be checked against it.
// retention/state's Store is one. Its failures are logged and the run
// goes on without it.
type Journal interface {
	Begin(repo string, dels []retention.Deletion) error
	// Settle records d's outcome: a deletion carried out is kept (with
	// its status) as a parent record, any other is forgotten.
	Settle(repo string, d retention.Deletion) error
	// Pending returns what is journaled for repo, in order: entries
	// without a status are pending, those with StatusDeleted were done.
	Pending(repo string) ([]retention.Deletion, error)
	Clear(repo string) error
}

// journal is the run's Journal, nil once one of its calls failed.
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

// readJournal splits what an earlier run journaled here into the
// deletions still pending (not planned again, which the plan decides)
// and the deleted manifests they may follow.
func (r *repoRun) readJournal() {
	j := r.journal()
	if j == nil {
		return
	}
	entries, err := j.Pending(r.rp.Repository)
	r.journalError("reading", err)
	planned := map[string]bool{}
	for _, d := range r.rp.Deletions {
		planned[d.Digest] = true
	}
	r.parents = map[string]retention.Deletion{}
	for _, d := range entries {
		switch {
		case d.Status == retention.StatusDeleted:
			r.parents[d.Digest] = d
		case d.Kind == retention.KindTag || planned[d.Digest]:
			// a tag alone, or planned again: the plan decides
		default:
			d.Status, d.Reason, d.Error = "", "left pending by an interrupted run", ""
			r.pending = append(r.pending, d)
		}
	}
}

// admitPending reads the journal of every repository and, where an
// earlier run left deletions pending, takes the repository's first view
// and passes those deletions through the gate's checks of the rules in
// force and the manifest itself, before any DELETE of this run: the
// brake counts those it admits. It returns how many.
func admitPending(ctx context.Context, runs []*repoRun, o Options) int {
	n := 0
	for _, r := range runs {
		r.readJournal()
		if len(r.pending) == 0 || r.refuseAll(ctx) != "" {
			continue
		}
		if r.prepare(ctx) != nil {
			continue // the repository fails in run
		}
		for i := range r.pending {
			d := &r.pending[i]
			if why := r.admit(ctx, d, true); why != "" {
				d.Status, d.Reason = retention.StatusSkipped, why
				continue
			}
			r.admitted = append(r.admitted, *d)
		}
		n += len(r.admitted)
	}
	return n
}

// begin journals the plan's deletions, with what recovery left and the
// parent records those follow, before the first DELETE.
func (r *repoRun) begin(left []retention.Deletion) {
	j := r.journal()
	if j == nil {
		return
	}
	var all []retention.Deletion
	for _, d := range left {
		if p, ok := r.parents[d.Parent]; ok {
			all = append(all, p)
		}
	}
	all = append(all, left...)
	for _, d := range r.rp.Deletions {
		d.Created = r.createdOfTags(d.Tags)
		all = append(all, d)
	}
	r.journalError("writing", j.Begin(r.rp.Repository, all))
}

// createdOfTags is the latest time minAge reads among tags, nil when
// none is known.
func (r *repoRun) createdOfTags(tags []string) *time.Time {
	var out *time.Time
	for _, t := range tags {
		out = later(out, r.created[t])
	}
	return out
}

// settle records d's outcome in the journal unless a later run should
// take it up: a deletion that failed, or was not started because the
// run was interrupted, stays pending.
func (r *repoRun) settle(d *retention.Deletion) {
	j := r.journal()
	if j == nil {
		return
	}
	if d.Status == retention.StatusFailed || (d.Status == retention.StatusSkipped && d.Reason == reasonInterrupted) {
		return
	}
	rec := *d
	rec.Created = r.createdOfTags(d.Tags)
	r.journalError("settling", j.Settle(r.rp.Repository, rec))
}

// reasonInterrupted is why a deletion the run did not start was skipped.
const reasonInterrupted = "interrupted (SIGINT/SIGTERM) before this deletion started"

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

// recover finishes the deletions an earlier run left pending that the
// gate admitted (admitPending), each through the gate again right before
// its request. What the gate refused is dropped from the journal with a
// note, and what it leaves stays. It returns the entries that failed, to
// be journaled again.
func (r *repoRun) recover(ctx context.Context) (left []retention.Deletion) {
	for _, d := range r.pending {
		if d.Status == retention.StatusSkipped {
			r.rp.Notes = append(r.rp.Notes, fmt.Sprintf("journal: the %s %s left pending by an interrupted run was dropped and stays: %s", d.Kind, d.Digest, d.Reason))
			r.log.Info("left pending by an interrupted run, and stays", "digest", d.Digest, "kind", string(d.Kind), "reason", d.Reason)
		}
	}
	for i := range r.admitted {
		d := r.admitted[i]
		if ctx.Err() != nil {
			return append(left, r.admitted[i:]...)
		}
		r.execute(ctx, &d, true)
		if d.Status == retention.StatusSkipped && strings.HasPrefix(d.Reason, "already gone") {
			continue // nothing to report
		}
		d.Reason = "left pending by an interrupted run: " + d.Reason
		r.progress(d.Status)
		r.recovered = append(r.recovered, d)
		r.mu.Lock()
		r.status[d.Digest] = d.Status
		r.mu.Unlock()
		if d.Status == retention.StatusFailed {
			d.Status, d.Error = "", ""
			left = append(left, d)
		}
	}
	return left
}
