package main

import (
	"context"
	"fmt"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/local/docker"
	"github.com/regprune/regprune/retention/local/layout"
)

// planLocal adds the plans of the local caches to p, when the
// configuration has a local section and the scope includes it. Local
// caches belong to the first shard only: the other shards of a sharded
// run leave them alone.
func (s *session) planLocal(ctx context.Context, p *retention.Plan) {
	if !s.local() || s.shard.Index != 0 {
		return
	}
	if dr := s.rules.Local.Docker; dr != nil {
		if dr.FollowRemote && !s.remote() {
			p.Notes = append(p.Notes, "local.docker.followRemote: nothing to follow under --scope local (no registry is cleaned in this run)")
		}
		p.Local = append(p.Local, s.withEngine(ctx, dr, func(e *docker.Engine) retention.CachePlan {
			return docker.Plan(ctx, e, *dr, deletedDigests(p, false), s.now, docker.WithLogger(s.log))
		}))
	}
	for _, lr := range s.rules.Local.Layouts {
		p.Local = append(p.Local, layout.Plan(ctx, lr, s.now, layout.WithLogger(s.log)))
	}
}

// applyLocal executes the local caches' plans in the report r, after the
// registries, so that followRemote knows what was deleted there.
func (s *session) applyLocal(ctx context.Context, r *retention.Plan) {
	if len(r.Local) == 0 {
		return
	}
	for i, c := range r.Local {
		switch c.Kind {
		case docker.Kind:
			dr := s.dockerRules()
			if dr == nil {
				r.Local[i].Error = "the configuration in force has no local.docker section: nothing done in " + c.Cache
				continue
			}
			r.Local[i] = s.withEngine(ctx, dr, func(e *docker.Engine) retention.CachePlan {
				return docker.Apply(ctx, e, *dr, c, deletedDigests(r, true), s.now, docker.WithLogger(s.log))
			})
		case layout.Kind:
			lr, ok := s.layoutRules(c.Cache)
			if !ok {
				r.Local[i].Error = "the configuration in force has no layout " + c.Cache + ": nothing done"
				continue
			}
			r.Local[i] = layout.Apply(ctx, lr, c, s.now, layout.WithLogger(s.log))
		}
	}
	r.Summarize()
}

// withEngine connects to the Docker Engine and runs fn; an engine that
// cannot be reached is a failed cache, and the rest of the run goes on.
func (s *session) withEngine(ctx context.Context, dr *retention.DockerRules, fn func(*docker.Engine) retention.CachePlan) retention.CachePlan {
	e, err := docker.Connect(ctx, dr.Host, docker.WithLogger(s.log))
	if err != nil {
		s.log.Error("the docker engine cannot be reached; the rest of the run goes on", "error", err)
		return docker.FailedPlan(err)
	}
	defer e.Close()
	return fn(e)
}

// deletedDigests maps each registry repository to the manifests this run
// deletes there by digest: planned ones in a plan, done ones in a report
// (done=true). followRemote removes the local references to them.
func deletedDigests(p *retention.Plan, done bool) map[string][]string {
	out := map[string][]string{}
	for _, rp := range p.Repositories {
		for _, d := range rp.Deletions {
			switch d.Kind {
			case retention.KindImage, retention.KindIndex, retention.KindChild:
			default:
				continue
			}
			if done && d.Status != retention.StatusDeleted {
				continue
			}
			out[rp.Repository] = append(out[rp.Repository], d.Digest)
		}
	}
	return out
}

func (s *session) dockerRules() *retention.DockerRules {
	if s.rules.Local == nil {
		return nil
	}
	return s.rules.Local.Docker
}

// layoutRules finds the configured layout a cache plan names.
func (s *session) layoutRules(cache string) (retention.LayoutRules, bool) {
	if s.rules.Local == nil {
		return retention.LayoutRules{}, false
	}
	for _, lr := range s.rules.Local.Layouts {
		if "layout "+lr.Path == cache {
			return lr, true
		}
	}
	return retention.LayoutRules{}, false
}

// skipLocal marks every deletion of the local caches in r skipped.
func skipLocal(r *retention.Plan, reason string) {
	for i := range r.Local {
		r.Local[i].SkipPending(reason)
	}
	r.Summarize()
}

// narrowSaved applies --scope and --shard to a saved plan: the run
// executes only the part of it that the flags select.
func (s *session) narrowSaved(p *retention.Plan) {
	if !s.remote() {
		if len(p.Repositories) > 0 {
			p.Notes = append(p.Notes, "--scope local: the saved plan's registry deletions were left out")
		}
		p.Repositories = []retention.RepoPlan{}
	}
	if s.f.scope == scopeRemote || s.shard.Index != 0 {
		if len(p.Local) > 0 {
			why := "--scope remote"
			if s.f.scope != scopeRemote {
				why = "shard " + s.shard.String() + " (local caches run in shard 0)"
			}
			p.Notes = append(p.Notes, why+": the saved plan's local caches were left out")
		}
		p.Local = nil
	}
	if s.shard.Count > 1 {
		var mine []retention.RepoPlan
		for _, rp := range p.Repositories {
			if s.shard.Owns(rp.Repository) {
				mine = append(mine, rp)
			}
		}
		if left := len(p.Repositories) - len(mine); left > 0 {
			p.Notes = append(p.Notes, fmt.Sprintf("shard %s: %d of the saved plan's %d repositories belong to other shards and were left out", s.shard.String(), left, len(p.Repositories)))
		}
		p.Repositories = mine
	}
	if len(p.Repositories) == 0 && len(p.Local) == 0 && len(p.Notes) > 0 {
		p.Notes = append(p.Notes, "nothing of the saved plan is left for this run")
	}
	for _, n := range p.Notes {
		s.log.Info("saved plan narrowed", "reason", n)
	}
	p.Summarize()
}
