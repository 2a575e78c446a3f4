package docker

import (
	"context"
	"fmt"
	"time"

	"github.com/moby/moby/client"
	"github.com/regprune/regprune/retention"
)

// planBuildCache describes the build cache prune, and estimates from the
// engine's cache records how much is unused for longer than olderThan (an
// upper bound: keepStorage may keep some of it).
func planBuildCache(ctx context.Context, e *Engine, bc *retention.BuildCache, now time.Time) (*retention.BuildCachePlan, string) {
	p := &retention.BuildCachePlan{KeepStorage: int64(bc.KeepStorage)}
	if bc.OlderThan > 0 {
		p.OlderThan = bc.OlderThan.String()
	}
	du, err := readDiskUsage(ctx, e, client.DiskUsageOptions{BuildCache: true, Verbose: true})
	if err != nil {
		return p, fmt.Sprintf("build cache: could not read its records: %v", err)
	}
	var n, neverUsed int
	var size int64
	cutoff := now.Add(-time.Duration(bc.OlderThan))
	for _, r := range du.BuildCache.Items {
		last := r.CreatedAt
		if r.LastUsedAt != nil {
			last = *r.LastUsedAt
		}
		if r.InUse || last.After(cutoff) {
			if !r.InUse && r.LastUsedAt == nil && bc.OlderThan > 0 {
				neverUsed++
			}
			continue
		}
		n++
		size += r.Size
	}
	note := fmt.Sprintf("build cache: %d of %d records (%s) unused for longer than %s; keepStorage %s keeps the newest within its size",
		n, len(du.BuildCache.Items), retention.ByteSize(size), orZero(p.OlderThan), retention.ByteSize(p.KeepStorage))
	if neverUsed > 0 {
		// BuildKit's until filter skips a record only by its last use.
		note += fmt.Sprintf("; %d younger records were never used since they were made, which BuildKit may prune whatever olderThan says once the cache is over keepStorage", neverUsed)
	}
	return p, note
}

func orZero(s string) string {
	if s == "" {
		return "0s"
	}
	return s
}

// pruneBuildCache prunes with until and the storage limit only. The
// engine accepts a label filter and ignores it, which would delete
// everything, so none is ever sent; all is not sent either, so internal
// and frontend records stay. The client sends the limit as keep-storage
// up to API 1.47 and as reserved-space after.
func pruneBuildCache(ctx context.Context, e *Engine, bc *retention.BuildCache, p *retention.BuildCachePlan) {
	opts := client.BuildCachePruneOptions{ReservedSpace: int64(bc.KeepStorage)}
	if bc.OlderThan > 0 {
		opts.Filters = make(client.Filters).Add("until", time.Duration(bc.OlderThan).String())
	}
	res, err := e.cli.BuildCachePrune(ctx, opts)
	if err != nil {
		p.Status = retention.StatusFailed
		p.Error = fmt.Sprintf("pruning build cache of %s: %v", e.Host, err)
		return
	}
	p.Status = retention.StatusDeleted
	p.ReclaimedBytes = int64(res.Report.SpaceReclaimed)
}
