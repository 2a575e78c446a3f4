package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/regprune/regprune/internal/demo"
	"github.com/regprune/regprune/retention/job"
)

func newDemoCmd(e *env) *cobra.Command {
	// The demo covers everything it seeds, whatever REGPRUNE_SHARDS says.
	f := runFlags{scope: string(job.ScopeAll)}
	f.shard = "0/1"
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Plan and apply against an embedded registry seeded with a realistic history (no network, no Docker)",
		Example: `  regprune demo
  regprune demo -o json  # the apply report as JSON on stdout, the narration on stderr`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			logger, err := f.loggerTo(e, e.stderr)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			d, err := demo.Start(ctx, e.now(), logger)
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			defer d.Close()
			f.configPath = d.ConfigPath
			// From here the demo is plan and apply, as those commands run.
			s, err := f.begin(cmd, e, job.ForDemo)
			if err != nil {
				return err
			}
			// In JSON mode stdout holds exactly one document (the apply
			// report); the narration goes to stderr.
			narrate := e.stdout
			if s.format.IsJSON() {
				narrate = e.stderr
			}
			fmt.Fprintf(narrate, "%s== regprune plan\n", d.Intro())
			p, err := s.job.Plan(ctx, s.runOptions())
			if err != nil {
				return exitOf(err)
			}
			if !s.format.IsJSON() {
				if err := s.out.Write(e.stdout, p); err != nil {
					return err
				}
			}
			fmt.Fprintf(narrate, "\n== regprune apply\n")
			out, err := s.job.Apply(ctx, p, false, s.runOptions())
			if err != nil {
				return exitOf(err)
			}
			if err := s.out.Report(e.stdout, out); err != nil {
				return exitOf(err)
			}
			if err := d.Remains(ctx, narrate, s.job, out); err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			return applyExit(ctx.Err() != nil, out)
		},
	}
	f.addLogFlags(cmd)
	f.addOutputFlags(cmd)
	cmd.Flags().Lookup("log-level").DefValue = "warn"
	f.logLevel = "warn"
	return cmd
}
