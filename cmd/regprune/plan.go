package main

import (
	"github.com/spf13/cobra"

	"github.com/regprune/regprune/retention/planner"
	"github.com/regprune/regprune/retention/registry"
)

func newPlanCmd(e *env) *cobra.Command {
	var c common
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Report what retention would keep and delete; changes nothing",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := c.format()
			if err != nil {
				return err
			}
			log, err := c.logger(e)
			if err != nil {
				return err
			}
			cfg, rules, err := c.load(cmd, e)
			if err != nil {
				return err
			}
			client := registry.New(cfg.Registries, registry.WithConcurrency(cfg.Concurrency), registry.WithLogger(log))
			p := planner.Plan(cmd.Context(), client, rules, e.now(), planner.Options{Concurrency: cfg.Concurrency, Logger: log})
			if err := c.writeReport(e, p, f); err != nil {
				return err
			}
			if p.Summary.Failed > 0 {
				return &exitError{code: exitFailure, err: errSilent}
			}
			return nil
		},
	}
	c.addConfigFlags(cmd)
	c.addOutputFlags(cmd)
	return cmd
}
