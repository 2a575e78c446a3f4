package docker

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	"github.com/regprune/regprune/retention"
)

// Apply carries out a plan that Plan made for this engine and returns it
// as a report: every deletion with its status, the build cache result,
// and ReclaimedBytes measured from the engine's disk usage before and
// after.
//
// Apply re-reads the engine and decides again at now; a deletion runs
// only when that fresh decision removes exactly what the plan says, so
// an image a container started using since the plan, or one that gained
// a tag, is skipped with the reason. Tag deletions run first, then image
// deletions. References are removed one by one without force; an image
// goes by ID only once no reference remains. A 409 from the engine is a
// protection: the deletion is skipped with the engine's reason, never
// retried with force.
func Apply(ctx context.Context, e *Engine, dr retention.DockerRules, plan retention.CachePlan, remoteDeleted map[string][]string, now time.Time, opts ...Option) retention.CachePlan {
	out := clonePlan(plan)
	if out.Error != "" {
		return out
	}
	if out.Cache != e.Cache() {
		out.Error = fmt.Sprintf("the plan is for %s, not %s: nothing done", out.Cache, e.Cache())
		return out
	}
	o, err := newOptions(opts)
	if err != nil {
		out.Error = err.Error()
		return out
	}
	before, err := diskUsage(ctx, e)
	if err != nil {
		out.Error = fmt.Sprintf("reading disk usage of docker engine at %s: %v", e.Host, err)
		return out
	}
	inv, err := readInventory(ctx, e.cli)
	if err != nil {
		out.Error = fmt.Sprintf("reading docker engine at %s: %v", e.Host, err)
		return out
	}
	fresh := newVerifier(selectDeletions(now, dr, remoteDeleted, inv), inv)
	for _, kind := range []retention.Kind{retention.KindTag, retention.KindImage} {
		for i := range out.Repositories {
			for j := range out.Repositories[i].Deletions {
				d := &out.Repositories[i].Deletions[j]
				if d.Kind != kind {
					continue
				}
				if why := fresh.check(*d); why != "" {
					d.Status, d.Reason = retention.StatusSkipped, why
				} else {
					execute(ctx, e, d)
				}
				o.log.Info("deletion", "cache", out.Cache, "repository", out.Repositories[i].Repository,
					"digest", d.Digest, "tags", d.Tags, "status", d.Status, "reason", d.Reason, "error", d.Error)
			}
		}
	}
	if bc := dr.BuildCache; bc != nil {
		if out.BuildCache == nil {
			out.BuildCache = &retention.BuildCachePlan{KeepStorage: int64(bc.KeepStorage)}
		}
		pruneBuildCache(ctx, e, bc, out.BuildCache)
	}
	after, err := diskUsage(ctx, e)
	if err != nil {
		// The deletions are done; only their measure is missing.
		out.Notes = append(out.Notes, fmt.Sprintf("reclaimed bytes unknown: reading disk usage of docker engine at %s after the deletions: %v", e.Host, err))
		return out
	}
	reclaimed := before.total() - after.total()
	if reclaimed < 0 {
		out.Notes = append(out.Notes, fmt.Sprintf("disk usage grew by %s during the run (another client was busy); reclaimed reported as 0", retention.ByteSize(-reclaimed)))
		reclaimed = 0
	}
	out.ReclaimedBytes = &reclaimed
	out.Notes = append(out.Notes, fmt.Sprintf("reclaimed measured from /system/df: image layers %s -> %s, build cache %s -> %s",
		retention.ByteSize(before.images), retention.ByteSize(after.images), retention.ByteSize(before.buildCache), retention.ByteSize(after.buildCache)))
	return out
}

// usage is the engine's disk usage: the size of all image layers
// (LayersSize before API 1.52, ImagesUsage.TotalSize since) and of the
// build cache.
type usage struct{ images, buildCache int64 }

func (u usage) total() int64 { return u.images + u.buildCache }

func diskUsage(ctx context.Context, e *Engine) (usage, error) {
	du, err := readDiskUsage(ctx, e, client.DiskUsageOptions{Images: true, BuildCache: true})
	if err != nil {
		return usage{}, err
	}
	return usage{images: du.Images.TotalSize, buildCache: du.BuildCache.TotalSize}, nil
}

// readDiskUsage asks the engine for its disk usage. The engine runs one
// such computation at a time and refuses any other client meanwhile ("a
// disk usage operation is already running": a 500 on Engine 20.10, a 409
// on others), so a failure is asked again, with a growing wait, for up to
// about half a minute. The engine answered Connect, so it is there.
func readDiskUsage(ctx context.Context, e *Engine, opts client.DiskUsageOptions) (client.DiskUsageResult, error) {
	wait := 100 * time.Millisecond
	for attempt := 0; ; attempt++ {
		du, err := e.cli.DiskUsage(ctx, opts)
		if err == nil || ctx.Err() != nil || cerrdefs.IsNotFound(err) || attempt == 9 {
			return du, err
		}
		select {
		case <-ctx.Done():
			return du, err
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// verifier holds the fresh decision a planned deletion is checked
// against.
type verifier struct {
	inv    *inventory
	images map[string]retention.Deletion // image ID -> fresh image deletion
	refs   map[string]string             // reference -> image ID, freshly removed alone
	why    map[string]string             // reference -> why it is kept now
}

func newVerifier(sel selection, inv *inventory) *verifier {
	v := &verifier{inv: inv, images: map[string]retention.Deletion{}, refs: map[string]string{}, why: map[string]string{}}
	for _, rp := range sel.repos {
		for _, td := range rp.Tags {
			if td.Action == retention.Keep && rp.Repository != danglingRepo {
				v.why[rp.Repository+":"+td.Tag] = strings.Join(td.Reasons, "; ")
			}
		}
		for _, d := range rp.Deletions {
			if d.Kind == retention.KindImage {
				v.images[d.Digest] = d
				continue
			}
			for _, ref := range d.Tags {
				v.refs[ref] = d.Digest
			}
		}
	}
	return v
}

// check returns why a planned deletion must not run now, or "".
func (v *verifier) check(d retention.Deletion) string {
	img := v.inv.byID[d.Digest]
	if img == nil {
		return "image " + d.Digest + " is already gone"
	}
	if users := v.inv.users[d.Digest]; len(users) > 0 {
		return "in use by container " + strings.Join(users, ", ") + " since the plan"
	}
	if d.Kind == retention.KindImage {
		f, ok := v.images[d.Digest]
		if !ok || !slices.Equal(f.Tags, d.Tags) {
			return "no longer selected: the image's references or the decision changed since the plan" + v.keptWhy(img)
		}
		return ""
	}
	for _, ref := range d.Tags {
		if got := v.inv.byRef[ref]; got == nil || got.ID != d.Digest {
			return "reference " + ref + " no longer points at " + d.Digest
		}
		if v.refs[ref] != d.Digest {
			return "reference " + ref + " is no longer removed alone" + v.keptWhy(img)
		}
	}
	return ""
}

func (v *verifier) keptWhy(img *image) string {
	for _, ref := range img.Tags {
		if w := v.why[ref]; w != "" {
			return " (" + ref + ": " + w + ")"
		}
	}
	return ""
}

// execute removes a deletion's references, then (kind image) the image
// by ID if it is still there.
func execute(ctx context.Context, e *Engine, d *retention.Deletion) {
	for _, ref := range d.Tags {
		if _, err := e.cli.ImageRemove(ctx, ref, client.ImageRemoveOptions{PruneChildren: true}); err != nil && !cerrdefs.IsNotFound(err) {
			outcome(d, err, "removing "+ref, false)
			return
		}
	}
	if d.Kind == retention.KindImage {
		if _, err := e.cli.ImageInspect(ctx, d.Digest); !cerrdefs.IsNotFound(err) {
			// Removing the last reference usually removes the image;
			// when the engine kept it quietly (a child image), removing
			// it by ID says why.
			_, err := e.cli.ImageRemove(ctx, d.Digest, client.ImageRemoveOptions{PruneChildren: true})
			if err != nil && !cerrdefs.IsNotFound(err) {
				outcome(d, err, "removing image "+d.Digest, true)
				return
			}
		}
	}
	d.Status = retention.StatusDeleted
}

// outcome records a failed request: a conflict is the engine protecting
// the image (skipped, with its reason), anything else a failure.
func outcome(d *retention.Deletion, err error, what string, byID bool) {
	if !cerrdefs.IsConflict(err) {
		d.Status = retention.StatusFailed
		d.Error = fmt.Sprintf("%s: %v", what, err)
		return
	}
	d.Status = retention.StatusSkipped
	d.Reason = "protected by the engine: " + err.Error()
	if byID && len(d.Tags) > 0 {
		d.Reason = "references removed, but the engine keeps the image: " + err.Error()
	}
}

// clonePlan copies a plan deeply enough that the report does not alias
// the plan's slices.
func clonePlan(p retention.CachePlan) retention.CachePlan {
	out := p
	out.Notes = slices.Clone(p.Notes)
	out.Repositories = make([]retention.RepoPlan, len(p.Repositories))
	for i, rp := range p.Repositories {
		rp.Tags = slices.Clone(rp.Tags)
		rp.Deletions = slices.Clone(rp.Deletions)
		out.Repositories[i] = rp
	}
	if p.BuildCache != nil {
		bc := *p.BuildCache
		out.BuildCache = &bc
	}
	return out
}
