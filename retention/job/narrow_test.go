package job

import (
	"strings"
	"testing"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/planner"
)

// TestNarrow: a saved plan keeps what the run covers, and says what it
// left out.
func TestNarrow(t *testing.T) {
	saved := func() *retention.Plan {
		return &retention.Plan{Mode: retention.ModePlan,
			Repositories: []retention.RepoPlan{{Repository: "r.example/a"}, {Repository: "r.example/b"}, {Repository: "r.example/c"}},
			Local:        []retention.CachePlan{{Cache: "layout /x"}}}
	}
	two := func(i int) planner.Shard {
		s, err := planner.ParseShard([]string{"0/2", "1/2"}[i])
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		name        string
		o           Options
		repos, locs int
		note        string
	}{
		{"all", Options{}, 3, 1, ""},
		{"remote", Options{Scope: ScopeRemote}, 3, 0, "--scope remote: the saved plan's local caches were left out"},
		{"local", Options{Scope: ScopeLocal}, 0, 1, "--scope local: the saved plan's registry deletions were left out"},
		{"shard 1", Options{Shard: two(1)}, -1, 0, "(local caches run in shard 0)"},
		{"local in shard 1", Options{Scope: ScopeLocal, Shard: two(1)}, 0, 0, "nothing of the saved plan is left for this run"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := saved()
			Narrow(p, tt.o)
			if tt.repos >= 0 && len(p.Repositories) != tt.repos || len(p.Local) != tt.locs {
				t.Errorf("%d repositories, %d caches; want %d, %d", len(p.Repositories), len(p.Local), tt.repos, tt.locs)
			}
			notes := strings.Join(p.Notes, "\n")
			if tt.note == "" && notes != "" || !strings.Contains(notes, tt.note) {
				t.Errorf("notes %q, want %q", notes, tt.note)
			}
		})
	}
}
