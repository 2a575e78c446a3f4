package main

import (
	"github.com/spf13/cobra"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/job"
	"github.com/regprune/regprune/retention/registry/oci"
)

func newPlanCmd(e *env) *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Report what retention would keep and delete; changes nothing",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := f.begin(cmd, e)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			store := s.openState()
			defer store.Close()
			// Pull scope only: a plan never holds a token that can delete.
			opts := []oci.Option{oci.WithConcurrency(s.cfg.Concurrency), oci.WithLogger(s.log), oci.WithCloudLogins(s.cfg.CloudLoginsOn())}
			if store != nil {
				opts = append(opts, oci.WithCache(store))
			}
			client, err := oci.New(s.cfg.Registries, opts...)
			if err != nil {
				return err
			}
			router, err := s.router(e, client)
			if err != nil {
				return err
			}
			o := s.runOptions()
			if store != nil {
				o.Journal = store // to show what an interrupted apply left
			}
			p := job.Plan(ctx, router, o)
			err = planExit(p)
			return s.finish(ctx, p, err)
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
