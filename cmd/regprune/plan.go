package main

import (
	"github.com/spf13/cobra"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/job"
)

func newPlanCmd(e *env) *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Report what retention would keep and delete; changes nothing",
		Example: `  regprune plan                                             # what would be kept and deleted, and why
  regprune plan -c ci.yaml -o json --output-file plan.json  # saved, to review and to run with apply --plan
  regprune plan --summary -o markdown                       # one row of counts per repository`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Pull scope only: a plan never holds a token that can delete.
			s, err := f.begin(cmd, e, job.ForPlan)
			if err != nil {
				return err
			}
			defer s.job.Close()
			ctx := cmd.Context()
			p, err := s.job.Plan(ctx, s.runOptions())
			if err != nil {
				return exitOf(err)
			}
			return s.finish(ctx, p, planExit(p))
		},
	}
	f.add(cmd)
	return cmd
}

// planExit maps a plan to the exit code: 1 when a repository or a local
// cache failed, else 0.
func planExit(p *retention.Plan) error {
	if p.Summary.Failed > 0 || p.Summary.LocalFailed > 0 {
		return &exitError{code: exitFailure, err: errSilent}
	}
	return nil
}
