package job

import (
	"fmt"

	"github.com/regprune/regprune/retention"
)

// Narrow keeps of a saved plan what this run covers (its scope and
// shard), with a note for every part left out, and logs those notes.
func Narrow(p *retention.Plan, o Options) {
	o.defaults()
	if !o.remote() {
		if len(p.Repositories) > 0 {
			p.Notes = append(p.Notes, "--scope local: the saved plan's registry deletions were left out")
		}
		p.Repositories = []retention.RepoPlan{}
	}
	if o.Scope == ScopeRemote || o.Shard.Index != 0 {
		if len(p.Local) > 0 {
			why := "--scope remote"
			if o.Scope != ScopeRemote {
				why = "shard " + o.Shard.String() + " (local caches run in shard 0)"
			}
			p.Notes = append(p.Notes, why+": the saved plan's local caches were left out")
		}
		p.Local = nil
	}
	if o.Shard.Count > 1 {
		var mine []retention.RepoPlan
		for _, rp := range p.Repositories {
			if o.Shard.Owns(rp.Repository) {
				mine = append(mine, rp)
			}
		}
		if left := len(p.Repositories) - len(mine); left > 0 {
			p.Notes = append(p.Notes, fmt.Sprintf("shard %s: %d of the saved plan's %d repositories belong to other shards and were left out", o.Shard.String(), left, len(p.Repositories)))
		}
		p.Repositories = mine
	}
	if len(p.Repositories) == 0 && len(p.Local) == 0 && len(p.Notes) > 0 {
		p.Notes = append(p.Notes, "nothing of the saved plan is left for this run")
	}
	for _, n := range p.Notes {
		o.Logger.Info("saved plan narrowed", "reason", n)
	}
	p.Summarize()
}
