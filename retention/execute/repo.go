package execute

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
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
	// shared is what the repositories of this apply share.
	shared *runState
	// recovering: an earlier run left deletions pending here; recovered
	// holds what this run did about them, for the report.
	recovering bool
	recovered  []retention.Deletion

	// current maps every tag the registry lists now to the digest it
	// points at ("" when it could not be resolved).
	current map[string]string
	// pointsAt maps digests to the tags that point at them now.
	pointsAt map[string][]string
	// unresolved: some tag's digest is unknown, so no manifest may be
	// deleted by digest (it might be that tag's).
	unresolved []string
	// lied: tags whose HEAD named a digest other than the hash of the
	// manifest served for them; the repository fails.
	lied []string
	// created holds the creation time the plan recorded for each tag.
	created map[string]*time.Time
	// reachedByUnseen maps manifests that an index the plan never saw
	// (pushed or moved since) references to that index's tag: none of
	// them may be deleted.
	reachedByUnseen map[string]string
	// reachedByUndeleted maps manifests that a planned index which was
	// not deleted after all (skipped or failed) references to that
	// index's digest: a child is planned under one parent only, so its
	// other parents are checked here. blocked, when set, says why no
	// manifest may be deleted by digest any more (such an index could not
	// be read).
	reachedByUndeleted map[string]string
	blocked            string
	// reachedByTagged maps manifests a tagged index lists now to that
	// index, when the plan deletes untagged manifests.
	reachedByTagged map[string]string

	// progress is called with the outcome of each deletion as it is settled.
	progress func(retention.Status)

	// view guards current, pointsAt and reachedByUnseen, which refresh
	// renews while deletions run; listedAt is when the tags were listed.
	view      sync.RWMutex
	refreshMu sync.Mutex
	listedAt  time.Time

	mu          sync.Mutex
	status      map[string]retention.Status // by digest, for children and referrers
	unsupported bool
}

func (r *repoRun) run(ctx context.Context) {
	rp := r.rp
	pending := r.pendingFromEarlier()
	r.recovering = len(pending) > 0
	defer func() { rp.Deletions = append(rp.Deletions, r.recovered...) }()
	if len(rp.Deletions) == 0 && !r.recovering {
		return
	}
	if rp.Error != "" {
		r.skipAll("the repository failed to list: nothing is deleted in it")
		return
	}
	if err := ctx.Err(); err != nil {
		r.skipAll("interrupted before this repository was started")
		return
	}
	if r.opts.Saved && len(r.rules.PoliciesFor(rp.Repository)) == 0 {
		// A saved plan made under another configuration: the one in force
		// does not ask for anything to be deleted here.
		r.skipAll("no policy of the configuration in force governs this repository")
		return
	}
	if err := r.verify(ctx); err != nil {
		rp.Error = err.Error()
		r.skipAll("re-reading the repository before deleting failed: nothing is deleted in it")
		r.log.Error("re-reading before deletion failed", "error", err)
		return
	}
	r.status = map[string]retention.Status{}
	left := r.recover(ctx, pending)
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

// verify re-reads the repository's tags and resolves the tags involved
// in a deletion, every tag that is new since the plan, and, for a saved
// plan, every tag.
func (r *repoRun) verify(ctx context.Context) error {
	r.listedAt = time.Now() // when the listing was asked for: the earlier bound
	tags, err := r.reg.ListTags(ctx, r.rp.Repository)
	if err != nil {
		return fmt.Errorf("re-listing tags before deleting: %w", err)
	}
	planned := map[string]string{}
	r.created = map[string]*time.Time{}
	for _, td := range r.rp.Tags {
		planned[td.Tag] = td.Digest
		r.created[td.Tag] = later(td.Created, td.Pushed)
		if r.created[td.Tag] == nil {
			// Creation unknown (a 1970 reproducible build): minAge reads
			// when regprune first saw the digest.
			r.created[td.Tag] = td.FirstSeen
		}
	}
	involved := map[string]bool{}
	for _, d := range r.rp.Deletions {
		for _, t := range d.Tags {
			involved[t] = true
		}
	}
	r.current = make(map[string]string, len(tags))
	var toHead []string
	for _, t := range tags {
		d, known := planned[t]
		r.current[t] = d
		if involved[t] || !known || r.opts.Saved {
			toHead = append(toHead, t)
		}
	}
	indexes, err := r.resolveTags(ctx, toHead, planned)
	if err != nil {
		return err
	}
	r.pointsAt = byDigest(r.current)
	known := map[string]bool{}
	for _, td := range r.rp.Tags {
		known[td.Digest] = true
	}
	for _, d := range r.rp.Deletions {
		known[d.Digest] = true
	}
	// An index the plan never saw (pushed or moved since) may list
	// manifests the plan deletes: read it (one GET per such index, none
	// when no new tag points at an index) and protect what it reaches.
	r.reachedByUnseen = map[string]string{}
	var unseen []string
	for t, d := range r.current {
		if d != "" && !known[d] && indexes[d] {
			unseen = append(unseen, t)
		}
	}
	sort.Strings(unseen)
	for _, t := range unseen {
		if err := r.markUnseen(ctx, r.current[t], t); err != nil {
			r.unresolved = append(r.unresolved, t)
			r.log.Warn("could not read an index pushed since the plan; no manifest will be deleted by digest in this repository", "tag", t, "error", err)
		}
	}
	if err := r.protectTaggedIndexes(ctx, indexes); err != nil {
		return err
	}
	sort.Strings(r.unresolved)
	return r.resolvedAll()
}

// resolveTags resolves tags (with at most Concurrency in flight) into
// r.current, and returns the digests among them that are indexes. A tag
// gone since the listing leaves the view; one that cannot be resolved,
// or whose digest header lies, is recorded for resolvedAll.
func (r *repoRun) resolveTags(ctx context.Context, tags []string, planned map[string]string) (map[string]bool, error) {
	var mu sync.Mutex
	indexes := map[string]bool{}
	forEach(ctx, r.opts.Concurrency, len(tags), func(ctx context.Context, i int) {
		t := tags[i]
		d, mt, err := r.resolve(ctx, t, planned[t])
		mu.Lock()
		defer mu.Unlock()
		if err == nil && retention.IsIndexMediaType(mt) {
			indexes[d] = true
		}
		switch {
		case errors.Is(err, retention.ErrNotFound):
			delete(r.current, t) // deleted since it was listed
		case errors.Is(err, errHeaderLies):
			r.current[t] = ""
			r.lied = append(r.lied, t)
			r.log.Error("the registry's digest header disagrees with the manifest it serves; no manifest will be deleted by digest in this repository", "tag", t, "error", err)
		case err != nil:
			r.current[t] = ""
			r.unresolved = append(r.unresolved, t)
			r.log.Warn("could not resolve a tag; no manifest will be deleted by digest in this repository", "tag", t, "error", err)
		default:
			r.current[t] = d
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("interrupted while re-reading: %w", err)
	}
	return indexes, nil
}

// resolvedAll fails the re-read when a tag could not be resolved: it
// might point at anything, so nothing is deleted here, and the repository
// fails (exit 1), so a registry that answers 500 cannot pass for a run
// that pruned.
func (r *repoRun) resolvedAll() error {
	if len(r.lied) > 0 {
		sort.Strings(r.lied)
		return fmt.Errorf("re-reading tags before deleting: for tag(s) %s %v; the plan uses the hash, so no digest this registry reports is trusted and nothing is deleted here", joinTags(r.lied), errHeaderLies)
	}
	if len(r.unresolved) == 0 {
		return nil
	}
	return fmt.Errorf("re-reading tags before deleting: %s could not be resolved", joinTags(r.unresolved))
}

// markUnseen records every manifest the index digest (tagged tag)
// reaches, reading nested indexes too.
func (r *repoRun) markUnseen(ctx context.Context, digest, tag string) error {
	return r.reach(ctx, digest, tag, r.reachedByUnseen, false, 0)
}

// reach records in into every manifest the index digest lists, through
// nested indexes (up to retention.MaxIndexDepth), as reached from top;
// what into holds already is not read again. With goneOK an index that
// is gone lists nothing; otherwise that is an error.
func (r *repoRun) reach(ctx context.Context, digest, top string, into map[string]string, goneOK bool, depth int) error {
	if depth > retention.MaxIndexDepth {
		return fmt.Errorf("indexes nested deeper than %d under %s", retention.MaxIndexDepth, top)
	}
	children, err := r.reg.Children(ctx, r.rp.Repository, digest)
	if goneOK && errors.Is(err, retention.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, c := range children {
		cd := c.Digest.String()
		if _, seen := into[cd]; seen {
			continue
		}
		into[cd] = top
		if retention.IsIndexMediaType(string(c.MediaType)) {
			if err := r.reach(ctx, cd, top, into, goneOK, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// protectUndeleted reads every planned index that was not deleted and
// records what it reaches: those manifests stay, whatever parent the plan
// filed them under. One GET per such index, none when all went.
func (r *repoRun) protectUndeleted(ctx context.Context) {
	r.reachedByUndeleted = map[string]string{}
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
		if err := r.reach(context.WithoutCancel(ctx), d.Digest, label, r.reachedByUndeleted, true, 0); err != nil {
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
			r.execute(ctx, d)
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
			d.Status, d.Reason = retention.StatusSkipped, "interrupted (SIGINT/SIGTERM) before this deletion started"
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
// now, and the registry gets tags first for the rest of the run. A
// manifest still there was not deleted at all.
func (r *repoRun) dangling(ctx context.Context, d *retention.Deletion, still []string) bool {
	exists, err := r.reg.Exists(ctx, r.rp.Repository, d.Digest)
	if err != nil || exists {
		return false
	}
	r.shared.setTagsFirst(r.rp.Repository, r.log)
	if err := r.untag(ctx, still); err != nil {
		r.log.Warn("could not delete the tags left on a deleted manifest", "digest", d.Digest, "tags", joinTags(still), "error", err)
		return false
	}
	return true
}

// byDigest inverts tag → digest into digest → sorted tags, leaving out
// tags of unknown digest.
func byDigest(current map[string]string) map[string][]string {
	out := map[string][]string{}
	for t, d := range current {
		if d != "" {
			out[d] = append(out[d], t)
		}
	}
	for _, ts := range out {
		sort.Strings(ts)
	}
	return out
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

// protectTaggedIndexes, when the plan deletes untagged manifests, reads
// every index a tag points at now and records what it lists: an untagged
// manifest is deleted only while no tagged index references it, whatever
// the plan says (a saved plan may be stale or edited). One GET per
// distinct tagged index; none when the plan deletes no untagged manifest.
func (r *repoRun) protectTaggedIndexes(ctx context.Context, indexes map[string]bool) error {
	// Untagged deletions, and those an earlier run left pending, must
	// spare what a tagged index lists.
	untagged := r.recovering
	for _, d := range r.rp.Deletions {
		untagged = untagged || d.Kind == retention.KindUntagged
	}
	r.reachedByTagged = map[string]string{}
	if !untagged {
		return nil
	}
	planned := map[string]bool{}
	for _, td := range r.rp.Tags {
		if retention.IsIndexMediaType(td.MediaType) {
			planned[td.Digest] = true
		}
	}
	var tags []string
	for t, d := range r.current {
		if d != "" && (indexes[d] || planned[d]) {
			tags = append(tags, t)
		}
	}
	sort.Strings(tags)
	done := map[string]bool{}
	for _, t := range tags {
		d := r.current[t]
		if done[d] {
			continue
		}
		done[d] = true
		if err := r.reach(ctx, d, "the index tagged "+t, r.reachedByTagged, true, 0); err != nil {
			return fmt.Errorf("reading the tagged index %s before deleting untagged manifests: %w", t, err)
		}
	}
	return nil
}
