package layout

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/regprune/regprune/retention"
)

// Apply carries out a plan made by Plan for the same layout. Under the
// layout's exclusive lock it re-reads index.json, removes each planned
// entry only where it is unchanged (same ref name and digest), replaces
// index.json atomically, then marks from the remaining entries and sweeps
// the blobs nothing reaches that are older than the grace period.
// ReclaimedBytes is the sum of the sizes of the files removed.
//
// A layout that cannot be read, locked or written gets CachePlan.Error and
// is left as it was: the mark runs before index.json is replaced, and a
// failure up to the rename changes nothing.
func Apply(ctx context.Context, lr retention.LayoutRules, plan retention.CachePlan, now time.Time, opts ...Option) retention.CachePlan {
	cp := plan.Clone()
	if cp.Error != "" {
		return cp
	}
	want := newCachePlan(lr)
	if cp.Cache != want.Cache || cp.Kind != Kind {
		return notAttempted(cp, "applying", lr.Path, fmt.Errorf("the plan is for %s (%s), not %s", cp.Cache, cp.Kind, want.Cache))
	}
	o, err := newOptions(opts)
	if err != nil {
		return notAttempted(cp, "applying", lr.Path, err)
	}
	if err := checkLayout(lr.Path); err != nil {
		return notAttempted(cp, "applying", lr.Path, err)
	}
	lk, err := acquire(lr.Path, true)
	if err != nil {
		return notAttempted(cp, "applying", lr.Path, err)
	}
	defer lk.release()

	idx, err := readIndex(lr.Path, lr.Path)
	if err != nil {
		return notAttempted(cp, "applying", lr.Path, err)
	}
	refuseForbidden(lr, &cp, now)
	removed := matchEntries(idx, &cp)
	keep := make([]entry, 0, len(idx.entries))
	roots := make([]descriptor, 0, len(idx.entries))
	for i, e := range idx.entries {
		if !removed[i] {
			keep = append(keep, e)
			roots = append(roots, e.desc)
		}
	}
	s, err := listBlobs(ctx, lr.Path)
	if err != nil {
		return notAttempted(cp, "applying", lr.Path, err)
	}
	live, err := s.mark(ctx, roots)
	if err != nil {
		return notAttempted(cp, "applying", lr.Path, err)
	}
	if len(keep) < len(idx.entries) {
		b, err := idx.encode(keep)
		if err == nil {
			err = writeIndex(lr.Path, idx.raw, b, idx.perm, idx.owner, o.beforeRename)
		}
		if err != nil {
			return notAttempted(cp, "applying", lr.Path, err)
		}
		o.logger.InfoContext(ctx, "index.json rewritten", "removed", len(idx.entries)-len(keep))
	}

	sw := sweep(ctx, s, live, o.cutoff(now), o)
	cp.ReclaimedBytes = &sw.bytes
	settleStatuses(&cp, live, sw)
	if sw.err != nil {
		cp.Error = fmt.Sprintf("applying layout %s: %v", lr.Path, sw.err)
	}
	return cp
}

// refuseForbidden re-checks a plan against the rules in force, as
// registries do (a saved plan may have been made under other rules, or
// edited by hand): a deletion in a repository no policy governs, of a
// protected tag, or of a tag younger than minAge (or of unknown age while
// minAge is set) is skipped with the reason, and its entries stay.
func refuseForbidden(lr retention.LayoutRules, cp *retention.CachePlan, now time.Time) {
	for r := range cp.Repositories {
		rp := &cp.Repositories[r]
		created := map[string]*time.Time{}
		for _, td := range rp.Tags {
			created[td.Tag] = td.Created
		}
		governed := len(lr.Rules.PoliciesFor(rp.Repository)) > 0
		for j := range rp.Deletions {
			del := &rp.Deletions[j]
			if len(del.Tags) == 0 || del.Status != "" {
				continue
			}
			why := ""
			if !governed {
				why = "no policy of the configuration in force governs this repository"
			}
			for _, t := range del.Tags {
				if why != "" {
					break
				}
				why = lr.Rules.Forbidden(t, created[t], now)
			}
			if why != "" {
				del.Status, del.Reason = retention.StatusSkipped, why
			}
		}
	}
}

// matchEntries marks the entries the plan's deletions remove and sets the
// status of each deletion that names tags. A deletion whose entries
// changed since the plan (gone, or pointing elsewhere) is skipped whole.
func matchEntries(idx *indexFile, cp *retention.CachePlan) []bool {
	type key struct{ repo, tag, digest string }
	byKey := map[key][]int{}
	byName := map[[2]string][]string{}
	for i, e := range idx.entries {
		if !e.ref.tagged() {
			continue
		}
		k := key{e.ref.repo, e.ref.tag, e.desc.Digest}
		byKey[k] = append(byKey[k], i)
		n := [2]string{e.ref.repo, e.ref.tag}
		byName[n] = append(byName[n], e.desc.Digest)
	}
	removed := make([]bool, len(idx.entries))
	for r := range cp.Repositories {
		rp := &cp.Repositories[r]
		for j := range rp.Deletions {
			del := &rp.Deletions[j]
			if len(del.Tags) == 0 || del.Status != "" {
				continue
			}
			var hits []int
			var changed []string
			for _, t := range del.Tags {
				is := byKey[key{rp.Repository, t, del.Digest}]
				if len(is) == 0 {
					now := byName[[2]string{rp.Repository, t}]
					if len(now) == 0 {
						changed = append(changed, t+" is no longer in index.json")
					} else {
						changed = append(changed, t+" now points at "+strings.Join(now, ", "))
					}
				}
				hits = append(hits, is...)
			}
			if len(changed) > 0 {
				del.Status = retention.StatusSkipped
				del.Reason = "changed since the plan: " + strings.Join(changed, "; ")
				continue
			}
			for _, i := range hits {
				removed[i] = true
			}
			del.Status = retention.StatusDeleted
		}
	}
	return removed
}

// swept is what a sweep did.
type swept struct {
	removed map[string]bool
	young   map[string]bool
	failed  map[string]error
	bytes   int64
	err     error
}

// sweep removes every managed blob that nothing live reaches and that was
// not modified after cutoff. Each file is checked again just before it
// goes; a failure to remove one is reported and the sweep goes on, since
// every blob it removes is unreachable whatever happens to the others.
func sweep(ctx context.Context, s *store, live map[string]bool, cutoff time.Time, o *options) swept {
	sw := swept{removed: map[string]bool{}, young: map[string]bool{}, failed: map[string]error{}}
	digests := make([]string, 0, len(s.blobs))
	for dg := range s.blobs {
		if !live[dg] {
			digests = append(digests, dg)
		}
	}
	sort.Strings(digests)
	var errs []error
	for _, dg := range digests {
		if err := ctx.Err(); err != nil {
			errs = append(errs, fmt.Errorf("sweeping: %w", err))
			break
		}
		p := s.path(dg)
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			sw.failed[dg] = err
			errs = append(errs, fmt.Errorf("sweeping blob %s: %w", dg, err))
			continue
		}
		if !fi.Mode().IsRegular() {
			continue
		}
		if fi.ModTime().After(cutoff) {
			sw.young[dg] = true
			continue
		}
		if err := os.Remove(p); err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				sw.failed[dg] = err
				errs = append(errs, fmt.Errorf("sweeping blob %s: %w", dg, err))
			}
			continue
		}
		sw.removed[dg] = true
		sw.bytes += fi.Size()
		o.logger.DebugContext(ctx, "blob removed", "digest", dg, "reason", "unreachable")
	}
	sw.err = errors.Join(errs...)
	return sw
}

// settleStatuses sets the status of the deletions that name no tags
// (index children and referrers): deleted when the sweep removed the
// blob, else skipped with the reason.
func settleStatuses(cp *retention.CachePlan, live map[string]bool, sw swept) {
	for r := range cp.Repositories {
		rp := &cp.Repositories[r]
		for j := range rp.Deletions {
			del := &rp.Deletions[j]
			if len(del.Tags) > 0 {
				continue
			}
			switch {
			case sw.removed[del.Digest]:
				del.Status = retention.StatusDeleted
			case live[del.Digest]:
				del.Status, del.Reason = retention.StatusSkipped, "still reachable from a remaining entry"
			case sw.young[del.Digest]:
				del.Status, del.Reason = retention.StatusSkipped, "modified within the grace period"
			case sw.failed[del.Digest] != nil:
				del.Status, del.Error = retention.StatusFailed, sw.failed[del.Digest].Error()
			default:
				del.Status, del.Reason = retention.StatusSkipped, "not in the layout"
			}
		}
	}
}

// notAttempted reports a layout left as it was: the error, and every
// deletion skipped.
func notAttempted(cp retention.CachePlan, doing, path string, err error) retention.CachePlan {
	cp = failed(cp, doing, path, err)
	for r := range cp.Repositories {
		for j := range cp.Repositories[r].Deletions {
			del := &cp.Repositories[r].Deletions[j]
			del.Status, del.Reason = retention.StatusSkipped, "not attempted: the layout could not be processed"
		}
	}
	return cp
}
