package main

import (
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/job"
	"github.com/regprune/regprune/retention/registry/oci"
	"github.com/regprune/regprune/retention/state"
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
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.output != "text" && f.output != "json" {
				return usageError("--output: %q is not text or json", f.output)
			}
			file, err := f.load(cmd, e)
			if err != nil {
				return err
			}
			cfg := file.Config
			log, err := f.loggerTo(e, e.stderr)
			if err != nil {
				return err
			}
			s := &session{e: e, f: &f, cfg: cfg, log: log, now: e.now()}
			if err := s.resolveStateDir(); err != nil {
				return err
			}
			store := s.openState()
			if store == nil {
				return &exitError{code: exitFailure, err: fmt.Errorf("restore needs the state directory %q, which could not be opened", s.stateDir.Path)}
			}
			defer store.Close()
			if list {
				return listRuns(e, store)
			}
			id, err := runToRestore(runID, reportFile)
			if err != nil {
				return err
			}
			recorded, err := store.Deletions(id)
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			if repository != "" {
				if err := job.CheckRepository(recorded, repository); err != nil {
					return usageError("--repository %v; nothing was restored", err)
				}
			}
			client, err := oci.New(cfg.Registries, oci.WithConcurrency(cfg.Concurrency), oci.WithLogger(log), oci.WithCloudLogins(cfg.CloudLoginsOn()))
			if err != nil {
				return err
			}
			router, err := s.router(e, client)
			if err != nil {
				return err
			}
			out := job.Restore(cmd.Context(), router, recorded, job.RestoreOptions{Repository: repository, DryRun: dryRun})
			return writeRestored(e, f.output, out)
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

func runOfReport(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", usageError("--report: %v", err)
	}
	defer f.Close()
	p, err := retention.ReadPlan(f)
	if err != nil {
		return "", usageError("--report %s: not a JSON report: %v", path, err)
	}
	if p.RunID == "" {
		return "", usageError("--report %s: the report has no runId (an apply without a state directory records nothing)", path)
	}
	return p.RunID, nil
}

func listRuns(e *env, store *state.Store) error {
	runs, err := store.Runs()
	if err != nil {
		return &exitError{code: exitFailure, err: err}
	}
	w := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "RUN\tSTARTED\tMANIFESTS")
	for _, r := range runs {
		fmt.Fprintf(w, "%s\t%s\t%d\n", r.ID, r.Started.Format(time.RFC3339), r.Manifests)
	}
	return w.Flush()
}

func writeRestored(e *env, format string, out []job.Restored) error {
	failed, partial, present := 0, 0, 0
	for _, r := range out {
		switch r.Status {
		case job.RestoreFailed:
			failed++
		case job.RestorePartial:
			partial++
		case job.RestorePresent:
			present++
		}
	}
	switch format {
	case "json":
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	case "text", "":
		w := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(w, "STATUS\tKIND\tREPOSITORY\tDIGEST\tTAGS\tERROR")
		for _, r := range out {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%v\t%s\n", r.Status, r.Kind, r.Repository, r.Digest, r.Tags, r.Error)
		}
		_ = w.Flush()
		fmt.Fprintf(e.stdout, "restore: %d manifests, %d failed, %d with tags left alone (they point elsewhere now), %d there already\n", len(out), failed, partial, present)
	default:
		return usageError("--output: %q is not text or json", format)
	}
	if failed > 0 || partial > 0 {
		return &exitError{code: exitFailure, err: fmt.Errorf("%d of %d manifests could not be restored, %d only in part (a tag moved since)", failed, len(out), partial)}
	}
	return nil
}

// runToRestore is the run restore undoes: --run, or the runId of the
// report --report names.
func runToRestore(runID, reportFile string) (string, error) {
	if reportFile != "" {
		return runOfReport(reportFile)
	}
	if runID == "" {
		return "", usageError("restore: give --run ID, --report FILE or --list")
	}
	return runID, nil
}
