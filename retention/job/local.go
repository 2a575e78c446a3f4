package job

import (
	"context"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/local/docker"
	"github.com/regprune/regprune/retention/local/layout"
)

// planLocal adds the plans of the local caches to p, when the rules have
// a local section and the run covers it (local caches belong to shard 0).
func planLocal(ctx context.Context, p *retention.Plan, o *Options) {
	if !o.local() {
		return
	}
	if dr := o.Rules.Local.Docker; dr != nil {
		if dr.FollowRemote && !o.remote() {
			p.Notes = append(p.Notes, "local.docker.followRemote: nothing to follow under --scope local (no registry is cleaned in this run)")
		}
		p.Local = append(p.Local, withEngine(ctx, dr, o, func(e *docker.Engine) retention.CachePlan {
			return docker.Plan(ctx, e, *dr, deletedDigests(p, false), o.Now, docker.WithLogger(o.Logger))
		}))
	}
	for _, lr := range o.Rules.Local.Layouts {
		p.Local = append(p.Local, layout.Plan(ctx, lr, o.Now, layout.WithLogger(o.Logger)))
	}
}

// applyLocal executes the local caches' plans in the report r, after the
// registries, so that followRemote knows what was deleted there. A cache
// the rules in force do not configure is not touched.
func applyLocal(ctx context.Context, r *retention.Plan, o *Options) {
	if len(r.Local) == 0 {
		return
	}
	for i, c := range r.Local {
		switch c.Kind {
		case docker.Kind:
			dr := docker.RulesFor(o.Rules)
			if dr == nil {
				r.Local[i].Error = "the configuration in force has no local.docker section: nothing done in " + c.Cache
				continue
			}
			r.Local[i] = withEngine(ctx, dr, o, func(e *docker.Engine) retention.CachePlan {
				return docker.Apply(ctx, e, *dr, c, deletedDigests(r, true), o.Now, docker.WithLogger(o.Logger))
			})
		case layout.Kind:
			lr, ok := layout.RulesFor(o.Rules, c.Cache)
			if !ok {
				r.Local[i].Error = "the configuration in force has no layout " + c.Cache + ": nothing done"
				continue
			}
			r.Local[i] = layout.Apply(ctx, lr, c, o.Now, layout.WithLogger(o.Logger))
		}
	}
	r.Summarize()
}

// withEngine connects to the Docker Engine and runs fn; an engine that
// cannot be reached is a failed cache, and the rest of the run goes on.
func withEngine(ctx context.Context, dr *retention.DockerRules, o *Options, fn func(*docker.Engine) retention.CachePlan) retention.CachePlan {
	e, err := docker.Connect(ctx, dr.Host, docker.WithLogger(o.Logger))
	if err != nil {
		o.Logger.Error("the docker engine cannot be reached; the rest of the run goes on", "error", err)
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
