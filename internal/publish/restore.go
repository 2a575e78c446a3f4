package publish

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/regprune/regprune/retention/job"
)

// Runs writes the table of the recorded runs (restore --list).
func Runs(w io.Writer, runs []job.Run) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTARTED\tMANIFESTS")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%s\t%d\n", r.ID, r.Started.Format(time.RFC3339), r.Manifests)
	}
	return tw.Flush()
}

// Restored writes what restore did, as JSON (json) or as a table with
// the counts (text, which, as a person reads it, fails on nothing).
func Restored(w io.Writer, format string, out []job.Restored) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	c := job.CountRestored(out)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tKIND\tREPOSITORY\tDIGEST\tTAGS\tERROR")
	for _, r := range out {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\t%s\n", r.Status, r.Kind, r.Repository, r.Digest, r.Tags, r.Error)
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "restore: %d manifests, %d failed, %d with tags left alone (they point elsewhere now), %d there already\n", len(out), c.Failed, c.Partial, c.Present)
	return nil
}
