package report

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/regprune/regprune/retention"
)

func TestSummarize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		plan *retention.Plan
		want retention.Summary
	}{
		{
			name: "plan",
			plan: planFixture(),
			want: retention.Summary{Repositories: 3, Failed: 1, Tags: 8, Keep: 3, Delete: 5, Manifests: 2, TagOnly: 1, Children: 2, Referrers: 1},
		},
		{
			name: "apply counts statuses",
			plan: applyFixture(),
			want: retention.Summary{Repositories: 3, Failed: 1, Tags: 8, Keep: 3, Delete: 5, Manifests: 2, TagOnly: 1, Children: 2, Referrers: 1, Deleted: 2, Skipped: 3, DeletionsFailed: 1},
		},
		{
			name: "plan ignores statuses",
			plan: func() *retention.Plan { p := applyFixture(); p.Mode = "plan"; return p }(),
			want: retention.Summary{Repositories: 3, Failed: 1, Tags: 8, Keep: 3, Delete: 5, Manifests: 2, TagOnly: 1, Children: 2, Referrers: 1},
		},
		{
			name: "empty",
			plan: &retention.Plan{Mode: "plan", Summary: retention.Summary{Tags: 99}},
			want: retention.Summary{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.plan.Summary = retention.Summary{Deleted: 42} // stale counts are replaced
			tt.plan.Summarize()
			if diff := cmp.Diff(tt.want, tt.plan.Summary); diff != "" {
				t.Errorf("Summarize (-want +got):\n%s", diff)
			}
		})
	}
	(*retention.Plan)(nil).Summarize() // must not panic
}
