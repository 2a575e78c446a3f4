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
// after (bounded by what this run removed).
//
// Apply re-reads the engine and decides again at now; a deletion runs
// only when that fresh decision removes exactly what the plan says, so
// an image a container started using since the plan, or one that gained
// a tag, is skipped with the reason. Tag deletions run first, then image
// deletions. References are removed one by one without force; an image
// goes by ID only once no reference remains, and only when, inspected
// right before, it has no reference the plan does not name. A 409 from
// the engine is a protection: the deletion is skipped (untagged, when
// its references were already removed) with the engine's reason, never
// retried with force.
func Apply(ctx context.Context, e *Engine, dr retention.DockerRules, plan retention.CachePlan, remoteDeleted map[string][]string, now time.Time, opts ...Option) retention.CachePlan {
	out := plan.Clone()
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
	histories := readHistories(ctx, e.cli, inv, fresh.removable(out))
	runDeletions(ctx, e, o, &out, fresh)
	if bc := dr.BuildCache; bc != nil {
		if out.BuildCache == nil {
			out.BuildCache = &retention.BuildCachePlan{KeepStorage: int64(bc.KeepStorage)}
		}
		pruneBuildCache(ctx, e, bc, out.BuildCache)
	}
	measure(ctx, e, &out, before, inv, histories)
	return out
}

// runDeletions runs the tag deletions, then the image deletions, each
// checked against the fresh decision first.
func runDeletions(ctx context.Context, e *Engine, o *options, out *retention.CachePlan, fresh *verifier) {
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
}

// measure sets ReclaimedBytes: what the engine's disk usage fell by, but
// never more than this run freed. Image layers count at most what the
// images this run removed free by estimate (their layers that no
// remaining image shares, from histories read before the removals), and
// nothing when it removed none; the build cache counts what the engine
// reported its prune freed. Another client removing images meanwhile is
// thus not counted, and a note says by how much the disk usage fell
// beyond this run's share.
func measure(ctx context.Context, e *Engine, out *retention.CachePlan, before usage, inv *inventory, histories historyCache) {
	after, err := diskUsage(ctx, e)
	if err != nil {
		// The deletions are done; only their measure is missing.
		out.Notes = append(out.Notes, fmt.Sprintf("reclaimed bytes unknown: reading disk usage of docker engine at %s after the deletions: %v", e.Host, err))
		return
	}
	removed := map[string]bool{}
	for _, rp := range out.Repositories {
		for _, d := range rp.Deletions {
			if d.Kind == retention.KindImage && d.Status == retention.StatusDeleted {
				removed[d.Digest] = true
			}
		}
	}
	var own int64
	if len(removed) > 0 {
		var notes []string
		own, notes = estimateWith(inv, removed, histories.sizes)
		out.Notes = append(out.Notes, notes...)
	}
	images := before.images - after.images
	switch {
	case images < 0:
		out.Notes = append(out.Notes, fmt.Sprintf("image layers grew by %s during the run (another client was busy); their reclaimed bytes reported as 0", retention.ByteSize(-images)))
		images = 0
	case images > own:
		out.Notes = append(out.Notes, fmt.Sprintf("image layers fell by %s during the run, %s more than the images this run removed free (another client removed images meanwhile): that part is not counted", retention.ByteSize(images), retention.ByteSize(images-own)))
		images = own
	}
	var cache int64
	if bc := out.BuildCache; bc != nil && bc.Status == retention.StatusDeleted {
		cache = bc.ReclaimedBytes
	}
	reclaimed := images + cache
	out.ReclaimedBytes = &reclaimed
	out.Notes = append(out.Notes, fmt.Sprintf("reclaimed measured from /system/df: image layers %s -> %s, build cache %s -> %s",
		retention.ByteSize(before.images), retention.ByteSize(after.images), retention.ByteSize(before.buildCache), retention.ByteSize(after.buildCache)))
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

// removable returns the images that plan's image deletions would remove
// by the fresh decision.
func (v *verifier) removable(plan retention.CachePlan) map[string]bool {
	ids := map[string]bool{}
	for _, rp := range plan.Repositories {
		for _, d := range rp.Deletions {
			if d.Kind == retention.KindImage && v.check(d) == "" {
				ids[d.Digest] = true
			}
		}
	}
	return ids
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
// by ID if it is still there. Right before that removal the image is
// inspected again: on Engine 20.10 removing by ID also removes a last
// reference, so one that another client added since the engine was read
// (not named by the plan) keeps the image.
func execute(ctx context.Context, e *Engine, d *retention.Deletion) {
	for _, ref := range d.Tags {
		if _, err := e.cli.ImageRemove(ctx, ref, client.ImageRemoveOptions{PruneChildren: true}); err != nil && !cerrdefs.IsNotFound(err) {
			outcome(d, err, "removing "+ref, false)
			return
		}
	}
	if d.Kind != retention.KindImage {
		d.Status = retention.StatusDeleted
		return
	}
	ins, err := e.cli.ImageInspect(ctx, d.Digest)
	switch {
	case cerrdefs.IsNotFound(err):
		// Removing the last reference removed the image.
		d.Status = retention.StatusDeleted
		return
	case err != nil:
		d.Status, d.Error = retention.StatusFailed, fmt.Sprintf("inspecting image %s right before removing it by ID: %v", d.Digest, err)
		return
	}
	if extra := unnamed(ins.RepoTags, ins.RepoDigests, d.Tags); len(extra) > 0 {
		d.Status = keptStatus(d)
		d.Reason = "reference(s) " + strings.Join(extra, ", ") + " added since the engine was read (seen right before removing the image by ID): the image stays"
		return
	}
	// The engine kept the image quietly (a child image); removing it by
	// ID says why.
	if _, err := e.cli.ImageRemove(ctx, d.Digest, client.ImageRemoveOptions{PruneChildren: true}); err != nil && !cerrdefs.IsNotFound(err) {
		outcome(d, err, "removing image "+d.Digest, true)
		return
	}
	d.Status = retention.StatusDeleted
}

// unnamed returns the real references among tags and digests that the
// plan's refs do not name.
func unnamed(tags, digests, refs []string) []string {
	var out []string
	for _, r := range append(realRefs(tags), realRefs(digests)...) {
		if !slices.Contains(refs, r) {
			out = append(out, r)
		}
	}
	return out
}

// keptStatus is the outcome of an image deletion that stopped before the
// removal by ID: untagged when it removed references, skipped when it
// had none to remove.
func keptStatus(d *retention.Deletion) retention.Status {
	if len(d.Tags) > 0 {
		return retention.StatusUntagged
	}
	return retention.StatusSkipped
}

// outcome records a failed request: a conflict is the engine protecting
// the image (skipped, with its reason; untagged when the image's
// references were already removed), anything else a failure.
func outcome(d *retention.Deletion, err error, what string, byID bool) {
	if !cerrdefs.IsConflict(err) {
		d.Status = retention.StatusFailed
		d.Error = fmt.Sprintf("%s: %v", what, err)
		return
	}
	d.Status = retention.StatusSkipped
	d.Reason = "protected by the engine: " + err.Error()
	if byID && len(d.Tags) > 0 {
		d.Status = retention.StatusUntagged
		d.Reason = "references " + strings.Join(d.Tags, ", ") + " removed, but the engine keeps the image: " + err.Error()
	}
}
