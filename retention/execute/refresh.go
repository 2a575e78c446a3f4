package execute

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/regprune/regprune/retention"
)

// skipError is a deletion found, right before its DELETE, not to be run.
type skipError struct{ why string }

func (e *skipError) Error() string { return e.why }

// refresh keeps the promise that a digest is deleted only when a listing
// of its repository's tags taken at most ReverifyWindow before the DELETE
// shows no tag on it outside the plan. When the last listing is older
// than half the window (the DELETE follows within the other half), the
// tags are listed again and the new ones resolved; then d is checked
// against that view. It returns why d must not run, or "".
func (r *repoRun) refresh(ctx context.Context, d *retention.Deletion) (string, error) {
	r.refreshMu.Lock()
	defer r.refreshMu.Unlock()
	if time.Since(r.listedAt) > r.opts.ReverifyWindow/2 {
		if err := r.relist(ctx); err != nil {
			return "", fmt.Errorf("re-listing tags right before deleting: %w", err)
		}
	}
	r.view.RLock()
	defer r.view.RUnlock()
	if extra := r.extraTags(d); len(extra) > 0 {
		return fmt.Sprintf("tag(s) %s now point at it (seen right before its DELETE)", joinTags(extra)), nil
	}
	if tag, ok := r.reachedByUnseen[d.Digest]; ok {
		return fmt.Sprintf("the index %s, pushed since the plan, references it (seen right before its DELETE)", tag), nil
	}
	if len(r.unresolved) > 0 {
		return fmt.Sprintf("tag(s) %s could not be resolved right before its DELETE, and might point at it", joinTags(r.unresolved)), nil
	}
	return "", nil
}

// relist lists the repository's tags again and resolves the tags that
// are new since the last listing (an index among them protects what it
// lists); tags that are gone leave the view.
func (r *repoRun) relist(ctx context.Context) error {
	listedAt := time.Now()
	tags, err := r.reg.ListTags(ctx, r.rp.Repository)
	if err != nil {
		return err
	}
	r.view.Lock()
	defer r.view.Unlock()
	listed := make(map[string]bool, len(tags))
	for _, t := range tags {
		listed[t] = true
		if _, known := r.current[t]; known {
			continue
		}
		dg, mt, err := r.resolve(ctx, t, "")
		switch {
		case errors.Is(err, retention.ErrNotFound):
			continue
		case err != nil:
			r.current[t] = ""
			r.unresolved = append(r.unresolved, t)
			continue
		}
		r.current[t] = dg
		r.pointsAt[dg] = append(r.pointsAt[dg], t)
		sort.Strings(r.pointsAt[dg])
		if retention.IsIndexMediaType(mt) {
			if err := r.markUnseen(ctx, dg, t); err != nil {
				r.unresolved = append(r.unresolved, t)
			}
		}
	}
	for t, dg := range r.current {
		if !listed[t] {
			delete(r.current, t)
			r.pointsAt[dg] = remove(r.pointsAt[dg], t)
		}
	}
	r.listedAt = listedAt
	return nil
}

func remove(ts []string, t string) []string {
	out := ts[:0]
	for _, x := range ts {
		if x != t {
			out = append(out, x)
		}
	}
	return out
}
