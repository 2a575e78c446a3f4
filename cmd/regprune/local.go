package main

import (
	"context"

	"github.com/regprune/regprune/retention"
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
	for _, lr := range s.rules.Local.Layouts {
		p.Local = append(p.Local, layout.Plan(ctx, lr, s.now, layout.WithLogger(s.log)))
	}
	s.summarize(p)
}

// applyLocal executes the local caches' plans in the report r, after the
// registries, so that followRemote knows what was deleted there.
func (s *session) applyLocal(ctx context.Context, r *retention.Plan) {
	if len(r.Local) == 0 {
		return
	}
	for i, c := range r.Local {
		switch c.Kind {
		case layout.Kind:
			lr, ok := s.layoutRules(c.Cache)
			if !ok {
				r.Local[i].Error = "the configuration has no layout " + c.Cache + ": nothing done"
				continue
			}
			r.Local[i] = layout.Apply(ctx, lr, c, s.now, layout.WithLogger(s.log))
		}
	}
	s.summarize(r)
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
