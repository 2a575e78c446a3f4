package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/job"
)

func newApplyCmd(e *env) *cobra.Command {
	var (
		f        runFlags
		planFile string
		dryRun   bool
	)
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Delete what falls outside retention (a fresh plan, or one saved with plan -o json)",
		Long: `apply computes a fresh plan (or reads one saved with 'regprune plan -o json'
given with --plan) and executes it. Each deletion passes one gate right before
its request: the rules in force, the manifest itself, and every tag resolved
within verifyWindow. maxDeletions is checked on the whole plan first.`,
		Example: `  regprune apply --dry-run         # what apply would do, with the maxDeletions brake; changes nothing
  regprune apply -c regprune.yaml  # delete what falls outside retention
  regprune apply --plan plan.json  # execute a plan saved with 'regprune plan -o json'
  regprune apply --shard 1/4       # the second of four shards of the repositories`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			use := job.ForApply
			if dryRun {
				use = job.ForDryRun
			}
			s, err := f.begin(cmd, e, use)
			if err != nil {
				return err
			}
			defer s.job.Close()
			var saved *retention.Plan
			if planFile != "" { // anything wrong with it is bad usage, found before any request
				if saved, err = job.ReadPlanFile(planFile); err != nil {
					return usageError("%w", err)
				}
				job.Narrow(saved, s.runOptions())
			}
			ctx := cmd.Context()
			var out *retention.Plan
			if dryRun {
				out, err = s.job.DryRun(ctx, saved, s.runOptions())
			} else {
				out, err = s.job.Apply(ctx, saved, saved != nil, s.runOptions())
			}
			if err != nil {
				return exitOf(err)
			}
			err = applyExit(ctx.Err() != nil, out)
			return s.finish(ctx, out, err)
		},
	}
	f.add(cmd)
	cmd.Flags().StringVar(&planFile, "plan", "", "execute this plan, saved earlier with 'regprune plan -o json'")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print what apply would do, in apply's format; change nothing")
	return cmd
}

// applyExit maps an apply report to the exit code: 3 for a safety abort,
// 1 when anything failed or the run was interrupted, else 0.
func applyExit(interrupted bool, p *retention.Plan) error {
	switch {
	case p.Aborted != "":
		return &exitError{code: exitAbort, err: errSilent}
	case interrupted:
		return &exitError{code: exitFailure, err: fmt.Errorf("interrupted: deletions not yet started were skipped")}
	case p.Summary.Failed > 0 || p.Summary.DeletionsFailed > 0 || p.Summary.LocalFailed > 0:
		return &exitError{code: exitFailure, err: errSilent}
	}
	return nil
}
