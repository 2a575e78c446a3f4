package execute

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/regprune/regprune/internal/pool"
	"github.com/regprune/regprune/retention"
)

// repoRun executes the deletions of one repository.
type repoRun struct {
	reg   Registry
	rules *retention.Rules
	now   time.Time
	opts  Options
	rp    *retention.RepoPlan
	log   *slog.Logger
	clock func() time.Time
	// shared is what the repositories of this apply share.
	shared *runState

	// inforce is the rules in force: the repository planned afresh when
	// apply started on it (nil without a Replanner: the plan was made in
	// this call, under these rules).
	inforce *freshPlan
	// created holds the time minAge reads for each tag, from the fresh
	// plan (or, without one, the plan made in this call).
	created map[string]*time.Time

	// pending and parents are what an earlier, interrupted run left in
	// the journal: deletions not settled, and deleted manifests that
	// those follow. recovered holds what this run did about them, for the
	// report; admitted, those the gate passed before the brake.
	pending   []retention.Deletion
	parents   map[string]retention.Deletion
	recovered []retention.Deletion
	admitted  []retention.Deletion
	started   bool
	startErr  error

	// v is the last full resolution of the repository's tags; freshMu
	// makes one deletion at a time check it (and resolve again when it
	// is as old as the window).
	viewMu  sync.RWMutex
	v       *view
	freshMu sync.Mutex
	rounds  int

	// reachedByUndeleted maps manifests that a planned index which was
	// not deleted after all (skipped or failed) references to that
	// index's digest: a child is planned under one parent only, so its
	// other parents are checked here. blocked, when set, says why no
	// manifest may be deleted by digest any more (such an index could not
	// be read).
	reachedByUndeleted map[string][]string
	blocked            string

	// progress is called with the outcome of each deletion as it is settled.
	progress func(retention.Status)

	mu          sync.Mutex
	status      map[string]retention.Status // by digest
	facts       map[string]*facts           // manifests read by the gate
	childrenOf  map[string][]child          // index digest -> what it lists
	largest     time.Duration               // the largest window relied on
	recorded    map[string]bool             // "KIND DIGEST" kept for restore
	unsupported bool
}

func newRepoRun(reg Registry, rules *retention.Rules, now time.Time, o Options, rp *retention.RepoPlan, progress func(retention.Status), shared *runState) *repoRun {
	return &repoRun{
		reg: reg, rules: rules, now: now, opts: o, rp: rp, clock: o.Clock,
		log: o.Logger.With("repository", rp.Repository), progress: progress, shared: shared,
		status: map[string]retention.Status{}, facts: map[string]*facts{}, childrenOf: map[string][]child{},
		recorded: map[string]bool{},
	}
}

func (r *repoRun) run(ctx context.Context) {
	rp := r.rp
	defer func() { rp.Deletions = append(rp.Deletions, r.recovered...) }()
	if len(rp.Deletions) == 0 && len(r.pending) == 0 {
		return
	}
	if why := r.refuseAll(ctx); why != "" {
		r.skipAll(why)
		return
	}
	if err := r.prepare(ctx); err != nil {
		rp.Error = err.Error()
		r.skipAll("re-reading the repository before deleting failed: nothing is deleted in it")
		r.log.Error("re-reading before deletion failed", "error", err)
		return
	}
	if err := r.budget(ctx); err != nil {
		rp.Error = err.Error()
		r.skipAll("the registry's read budget does not cover the manifests the gate must read: nothing is deleted in it")
		r.log.Error("read budget too small; nothing is deleted here", "error", err)
		return
	}
	left := r.recover(ctx)
	defer r.noteGate()
	if len(rp.Deletions) == 0 && len(left) == 0 {
		r.finishJournal(ctx)
		return
	}
	r.begin(left)
	// Phases, in the order that ends in the same state on every registry:
	// tags alone first (Google refuses a digest delete while tags remain),
	// then indexes before their children (an interruption never leaves a
	// kept index pointing at a missing child), then images, children,
	// untagged manifests, and last the referrers of what was deleted.
	for _, kind := range []retention.Kind{retention.KindTag, retention.KindIndex, retention.KindImage, retention.KindChild, retention.KindUntagged, retention.KindReferrer} {
		r.phase(ctx, kind)
		if kind == retention.KindIndex {
			r.protectUndeleted(ctx)
		}
	}
	r.confirm(ctx)
	r.finishJournal(ctx)
	if r.unsupported {
		host := retention.Host(rp.Repository)
		rp.Error = fmt.Sprintf("registry %s refuses DELETE (405 or UNSUPPORTED): on CNCF Distribution set storage.delete.enabled: true (REGISTRY_STORAGE_DELETE_ENABLED=true); Docker Hub and GHCR accept deletions only through their own APIs", host)
		r.log.Error("registry refuses DELETE", "registry", host)
	}
}

// refuseAll says why nothing may be deleted in the repository before it
// is even read, or "".
func (r *repoRun) refuseAll(ctx context.Context) string {
	switch {
	case r.rp.Error != "":
		return "the repository failed to list: nothing is deleted in it"
	case ctx.Err() != nil:
		return "interrupted before this repository was started"
	case r.opts.Saved && len(r.rules.PoliciesFor(r.rp.Repository)) == 0:
		// A saved plan made under another configuration: the one in force
		// does not ask for anything to be deleted here.
		return "no policy of the configuration in force governs this repository"
	case r.opts.Saved && r.opts.Replan == nil && !r.opts.noGate:
		return "a saved plan needs the rules in force checked on a fresh plan, and this apply cannot plan (no Replanner)"
	}
	return ""
}

// prepare takes the first view and the rules in force, once.
func (r *repoRun) prepare(ctx context.Context) error {
	if !r.started {
		r.started = true
		r.startErr = r.start(ctx)
	}
	return r.startErr
}

// budget asks a Budgeter registry whether the gate may read the
// manifest of every deletion by digest here (each once).
func (r *repoRun) budget(ctx context.Context) error {
	b, ok := r.reg.(Budgeter)
	if !ok {
		return nil
	}
	digests := map[string]bool{}
	for _, d := range append(r.admitted, r.rp.Deletions...) {
		if d.Kind != retention.KindTag {
			digests[d.Digest] = true
		}
	}
	if len(digests) == 0 {
		return nil
	}
	return b.ReadBudget(ctx, r.rp.Repository, slices.Sorted(maps.Keys(digests)))
}

// noteGate puts the gate's figures in the report.
func (r *repoRun) noteGate() {
	if r.rounds == 0 {
		return
	}
	r.rp.Gate = &retention.GateStats{Rounds: r.rounds, LargestWindow: retention.Duration(r.largest)}
	rounds := "round"
	if r.rounds > 1 {
		rounds = "rounds"
	}
	r.rp.Notes = append(r.rp.Notes, fmt.Sprintf("gate: %d %s of resolving every tag; the largest window a request relied on was %s (verifyWindow %s)",
		r.rounds, rounds, r.largest.Round(time.Millisecond), r.opts.VerifyWindow))
}

// protectUndeleted reads every planned index that was not deleted and
// records what it reaches: those manifests stay, whatever parent the plan
// filed them under. One GET per such index, none when all went.
func (r *repoRun) protectUndeleted(ctx context.Context) {
	r.reachedByUndeleted = map[string][]string{}
	if ctx.Err() != nil {
		return // interrupted: no further deletion starts
	}
	for _, d := range r.rp.Deletions {
		if d.Kind != retention.KindIndex || d.Status == retention.StatusDeleted {
			continue
		}
		label := d.Digest
		if len(d.Tags) > 0 {
			label += " (" + joinTags(d.Tags) + ")"
		}
		// Read to the end even when the run is interrupted meanwhile.
		err := r.reach(context.WithoutCancel(ctx), d.Digest, label, r.reachedByUndeleted, 0)
		if err != nil && !errors.Is(err, retention.ErrNotFound) {
			r.blocked = fmt.Sprintf("the index %s was not deleted and could not be read (%v), so what it lists is unknown", label, err)
			r.log.Warn("could not read an index that was not deleted; no more manifests will be deleted by digest in this repository", "digest", d.Digest, "error", err)
			return
		}
	}
}

// phase runs the deletions of one kind concurrently.
func (r *repoRun) phase(ctx context.Context, kind retention.Kind) {
	var idx []int
	for i, d := range r.rp.Deletions {
		if d.Kind == kind && d.Status == "" {
			idx = append(idx, i)
		}
	}
	// A deletion whose parent is of the same kind (a child index's own
	// children, a referrer's referrers) runs in a later wave, once its
	// parent's outcome is known.
	for pending := idx; len(pending) > 0; {
		waiting := map[string]bool{}
		for _, i := range pending {
			waiting[r.rp.Deletions[i].Digest] = true
		}
		var wave, later []int
		for _, i := range pending {
			if d := r.rp.Deletions[i]; d.Parent != "" && d.Parent != d.Digest && waiting[d.Parent] {
				later = append(later, i)
			} else {
				wave = append(wave, i)
			}
		}
		if len(wave) == 0 { // a cycle, which only a hand-made plan has
			wave, later = later, nil
		}
		forEach(ctx, r.opts.Concurrency, len(wave), func(ctx context.Context, i int) {
			d := &r.rp.Deletions[wave[i]]
			r.execute(ctx, d, false)
			r.settle(d)
			r.mu.Lock()
			r.status[d.Digest] = d.Status
			r.mu.Unlock()
			r.progress(d.Status)
		})
		pending = later
	}
	// What forEach did not start (interrupted) is skipped.
	for _, i := range idx {
		d := &r.rp.Deletions[i]
		if d.Status == "" {
			d.Status, d.Reason = retention.StatusSkipped, reasonInterrupted
			r.progress(d.Status)
		}
	}
}

func (r *repoRun) skipAll(reason string) {
	for range r.rp.SkipPending(reason) {
		r.progress(retention.StatusSkipped)
	}
}

// forEach runs fn for 0..n-1 with at most workers in flight. Once ctx is
// cancelled no new call starts; calls in flight get a context that is not
// cancelled, so a DELETE that was sent is seen through.
func forEach(ctx context.Context, workers, n int, fn func(ctx context.Context, i int)) {
	_ = pool.Each(ctx, workers, n, func(_ context.Context, i int) error {
		fn(context.WithoutCancel(ctx), i)
		return nil
	})
}

func joinTags(ts []string) string { return strings.Join(ts, ", ") }

// confirm re-lists the repository once after its deletions: a tag that
// a deletion reported gone but that is still listed (a registry that
// answered 202 and deleted nothing) turns that deletion into a failure.
func (r *repoRun) confirm(ctx context.Context) {
	claimed := false
	for _, d := range r.rp.Deletions {
		claimed = claimed || (d.Status == retention.StatusDeleted && len(d.Tags) > 0)
	}
	if !claimed || ctx.Err() != nil {
		return
	}
	tags, err := r.reg.ListTags(ctx, r.rp.Repository)
	if err != nil {
		r.log.Warn("could not re-list the repository to confirm its deletions", "error", err)
		return
	}
	listed := make(map[string]bool, len(tags))
	for _, t := range tags {
		listed[t] = true
	}
	for i := range r.rp.Deletions {
		d := &r.rp.Deletions[i]
		if d.Status != retention.StatusDeleted {
			continue
		}
		var still []string
		for _, t := range d.Tags {
			if listed[t] {
				still = append(still, t)
			}
		}
		if len(still) == 0 {
			continue
		}
		if d.Kind != retention.KindTag && r.dangling(ctx, d, still) {
			continue
		}
		d.Status, d.Error = retention.StatusFailed, "the registry accepted the DELETE, but "+joinTags(still)+" still listed afterwards"
		r.log.Error("deletion not confirmed", "digest", d.Digest, "tags", joinTags(still))
	}
}

// dangling finishes a digest delete that left its tags listed although
// the manifest is gone (go-containerregistry's registry keeps tags that
// point at nothing): the tags were to go with it, so they are deleted
// now, each through the gate (a fresh resolution of the repository, no
// other tag on the digest) and after a HEAD of its own right before the
// request: a tag that points at another manifest now stays. The
// registry gets tags first for the rest of the run. A manifest still
// there was not deleted at all.
func (r *repoRun) dangling(ctx context.Context, d *retention.Deletion, still []string) bool {
	exists, err := r.reg.Exists(ctx, r.rp.Repository, d.Digest)
	if err != nil || exists {
		return false
	}
	r.shared.setTagsFirst(r.rp.Repository, r.log)
	for _, t := range still {
		err := r.attempt(ctx, d, func([]string) error {
			// It must still point at nothing, or at the deleted digest (a
			// registry that keeps a tag's own copy).
			dg, _, err := r.reg.ResolveTag(ctx, r.rp.Repository, t)
			if !errors.Is(err, retention.ErrNotFound) && (err != nil || dg != d.Digest) {
				return fmt.Errorf("tag %s resolves again (%s, %v)", t, dg, err)
			}
			return r.reg.DeleteTag(ctx, r.rp.Repository, t)
		})
		if err != nil && !errors.Is(err, retention.ErrNotFound) {
			r.log.Warn("a tag left on a deleted manifest stays", "digest", d.Digest, "tag", t, "error", err)
			return false
		}
	}
	return true
}

// later returns the later of two known times (minAge reads the later of
// the creation and push times), nil when neither is known.
func later(a, b *time.Time) *time.Time {
	switch {
	case a == nil:
		return b
	case b == nil || a.After(*b):
		return a
	}
	return b
}
