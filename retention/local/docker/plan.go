package docker

import (
	"context"
	"fmt"
	"time"

	"github.com/regprune/regprune/retention"
)

// Kind is the CachePlan kind of this backend.
const Kind = "docker"

// Plan reads the engine and decides what a run would remove: one
// RepoPlan per repository a policy governs (or followRemote touches), and
// "(dangling)" for old dangling images. remoteDeleted maps a registry
// repository ("localhost:5000/acme/api") to the digests the run deletes
// (or plans to delete) there; nil means nothing to follow. Plan never
// changes the engine. A failure to read it is the plan's Error.
func Plan(ctx context.Context, e *Engine, dr retention.DockerRules, remoteDeleted map[string][]string, now time.Time, opts ...Option) retention.CachePlan {
	cp := newCachePlan(e)
	o, err := newOptions(opts)
	if err != nil {
		cp.Error = err.Error()
		return cp
	}
	inv, err := readInventory(ctx, e.cli)
	if err != nil {
		cp.Error = fmt.Sprintf("reading docker engine at %s: %v", e.Host, err)
		return cp
	}
	sel := selectDeletions(now, dr, remoteDeleted, inv)
	cp.Repositories = sel.repos
	cp.Notes = append(cp.Notes, sel.notes...)
	var notes []string
	cp.EstimatedBytes, notes = estimate(ctx, e.cli, inv, sel.gone)
	cp.Notes = append(cp.Notes, notes...)
	if bc := dr.BuildCache; bc != nil {
		var note string
		cp.BuildCache, note = planBuildCache(ctx, e, bc, now)
		cp.Notes = append(cp.Notes, note)
	}
	logPlan(o, cp)
	return cp
}

func newCachePlan(e *Engine) retention.CachePlan {
	return retention.CachePlan{
		Cache:        e.Cache(),
		Kind:         Kind,
		Notes:        []string{e.versionNote()},
		Repositories: []retention.RepoPlan{},
	}
}

func logPlan(o *options, cp retention.CachePlan) {
	for _, rp := range cp.Repositories {
		for _, td := range rp.Tags {
			o.log.Debug("decided", "cache", cp.Cache, "repository", rp.Repository, "tag", td.Tag,
				"digest", td.Digest, "action", td.Action, "clock", td.Clock, "reason", td.Reasons)
		}
	}
}
