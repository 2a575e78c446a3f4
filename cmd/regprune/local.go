package main

import (
	"context"

	"github.com/regprune/regprune/retention"
)

// planLocal adds the plans of the local caches to p, when the
// configuration has a local section and the scope includes it.
func (s *session) planLocal(ctx context.Context, p *retention.Plan) {
	if !s.local() {
		return
	}
}

// applyLocal executes the local caches' plans in the report r.
func (s *session) applyLocal(ctx context.Context, r *retention.Plan) {
	if !s.local() {
		return
	}
}
