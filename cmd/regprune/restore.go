package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/regprune/regprune/internal/publish"
	"github.com/regprune/regprune/retention/job"
)

func newRestoreCmd(e *env) *cobra.Command {
	var (
		f          runFlags
		runID      string
		reportFile string
		repository string
		dryRun     bool
		list       bool
	)
	cmd := &cobra.Command{
		Use:   "restore",
		Short: "Put back what an apply deleted (recorded in the state directory under its run id)",
		Long: `restore puts back every manifest that the apply --run ID (or the one whose
JSON report --report names) deleted, byte for byte, with its tags: children
and images before the indexes that list them. The configuration supplies the
registries and their credentials, as for apply. A manifest the registry
cannot take back (its blobs garbage-collected since) is reported with the
registry's answer. --list shows the recorded runs.`,
		Example: `  regprune restore --list                                   # the recorded applies, with their run ids
  regprune restore --run 20261208T022822Z-3fa2c1 --dry-run  # what undoing that apply would put back
  regprune restore --report report.json --repository ghcr.io/acme/app`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.output != "text" && f.output != "json" {
				return usageError("--output: %q is not text or json", f.output)
			}
			file, err := f.load(cmd, e)
			if err != nil {
				return err
			}
			log, err := f.loggerTo(e, e.stderr)
			if err != nil {
				return err
			}
			j, err := f.openJob(e, file.Config, job.ForRestore, log)
			if err != nil {
				return err
			}
			if err := j.OpenState(); err != nil {
				return exitOf(err) // restore cannot do without it
			}
			defer j.Close()
			if list {
				runs, err := j.Runs()
				if err != nil {
					return &exitError{code: exitFailure, err: err}
				}
				return publish.Runs(e.stdout, runs)
			}
			id, err := job.RunToRestore(runID, reportFile)
			if err != nil {
				return exitOf(err)
			}
			out, err := j.Restore(cmd.Context(), id, job.RestoreOptions{Repository: repository, DryRun: dryRun})
			if errors.Is(err, job.ErrNotInRun) {
				return usageError("--repository %v; nothing was restored", err)
			}
			if err != nil {
				return exitOf(err)
			}
			if err := publish.Restored(e.stdout, f.output, out); err != nil {
				return err
			}
			if err := job.Unrestored(out); err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			return nil
		},
	}
	f.addConfigFlags(cmd)
	cmd.Flags().StringVarP(&f.output, "output", "o", "text", "report format: text or json")
	cmd.Flags().StringVar(&f.stateDir, "state-dir", "", "the state directory the apply recorded its deletions in (default as for apply)")
	cmd.Flags().StringVar(&runID, "run", "", "the run id of the apply to undo (its report's runId)")
	cmd.Flags().StringVar(&reportFile, "report", "", "the JSON report of the apply to undo")
	cmd.Flags().StringVar(&repository, "repository", "", "restore this repository only")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "say what would be restored; change nothing")
	cmd.Flags().BoolVar(&list, "list", false, "list the recorded runs")
	return cmd
}
