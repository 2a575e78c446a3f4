// Package publish delivers a run's results: the report on stdout or in
// a file, the GitHub step summary, and the run's metrics (a textfile, a
// Pushgateway). It checks, before any registry is contacted, that each
// of those paths can be written.
package publish

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/metrics"
	"github.com/regprune/regprune/retention/report"
)

// Outputs are where a run's results go.
type Outputs struct {
	// Format and View shape the report (View: --summary, --deletions,
	// --verbose, which the step summary follows too).
	Format report.Format
	View   []report.Option
	// File is --output-file: the report goes there instead of stdout.
	File string
	// StepSummary is $GITHUB_STEP_SUMMARY, the file the Markdown report
	// is appended to.
	StepSummary string
	// MetricsFile and Pushgateway receive the run's metrics.
	MetricsFile, Pushgateway string
	// Shard groups the pushed metrics of one shard of a sharded run
	// ("" when the run is not sharded).
	Shard string
}

// UnwritableError: an output path cannot be written; nothing was
// contacted.
type UnwritableError struct{ msg string }

func (e *UnwritableError) Error() string { return e.msg }

// Check finds, before any registry is contacted, an output path that
// could not be written after the deletions: the record of what was
// deleted must not be lost. An existing file must be a regular file that
// opens for writing; a new one needs a folder it can be created in.
func (o *Outputs) Check() error {
	for _, out := range []struct{ what, path string }{
		{"--output-file", o.File}, {"--metrics-file", o.MetricsFile}, {"GITHUB_STEP_SUMMARY", o.StepSummary},
	} {
		if err := checkWritable(out.what, out.path); err != nil {
			return err
		}
	}
	return nil
}

func checkWritable(what, path string) error {
	if path == "" {
		return nil
	}
	refuse := func(format string, args ...any) error {
		return &UnwritableError{what + " " + path + ": " + fmt.Sprintf(format, args...) + "; nothing was contacted"}
	}
	if fi, err := os.Stat(path); err == nil {
		if !fi.Mode().IsRegular() {
			return refuse("not a regular file")
		}
		fh, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return refuse("cannot be written (%v)", err)
		}
		return fh.Close()
	}
	fh, err := os.CreateTemp(filepath.Dir(path), ".regprune-check-*")
	if err != nil {
		return refuse("cannot be created (%v)", err)
	}
	fh.Close()
	return os.Remove(fh.Name())
}

// Write writes the report of p to w.
func (o *Outputs) Write(w io.Writer, p *retention.Plan) error {
	return report.Write(w, p, o.Format, o.View...)
}

// FileError: the report file could not be written.
type FileError struct{ Err error }

func (e *FileError) Error() string { return "writing the report: " + e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }

// Report writes the report of p to stdout, or to File; a file that
// cannot be written is a *FileError.
func (o *Outputs) Report(stdout io.Writer, p *retention.Plan) error {
	if o.File == "" {
		return o.Write(stdout, p)
	}
	var b strings.Builder
	if err := o.Write(&b, p); err != nil {
		return err
	}
	if err := os.WriteFile(o.File, []byte(b.String()), 0o644); err != nil {
		return &FileError{err}
	}
	return nil
}

// Publish writes the report, appends it to the step summary, and
// records the metrics of a run started at started (ok: it succeeded),
// even when ctx is done: a run stopped by a signal is when the report
// and a Pushgateway's view of the failure matter most. The error says
// what could not be published, all of it.
func (o *Outputs) Publish(ctx context.Context, stdout io.Writer, p *retention.Plan, started time.Time, ok bool) error {
	ctx = context.WithoutCancel(ctx)
	var errs []string
	if err := o.Report(stdout, p); err != nil {
		errs = append(errs, err.Error())
	}
	if o.StepSummary != "" {
		if err := o.appendStepSummary(p); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if o.Pushgateway != "" || o.MetricsFile != "" {
		reg := metrics.Gather(p, time.Since(started), ok, time.Now())
		if o.MetricsFile != "" {
			if err := metrics.WriteTextfile(o.MetricsFile, reg); err != nil {
				errs = append(errs, err.Error())
			}
		}
		if o.Pushgateway != "" {
			grouping := map[string]string{}
			if o.Shard != "" {
				grouping["shard"] = o.Shard
			}
			if err := metrics.Push(ctx, o.Pushgateway, reg, metrics.Mode(p), grouping); err != nil {
				errs = append(errs, err.Error())
			}
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errors.New(strings.Join(errs, "; "))
}

// stepSummaryCap is what regprune writes to a GitHub step summary at
// most: GitHub drops a step summary over 1 MiB whole, and other steps'
// writes to the same file count too, so 64 KiB are left to them.
const stepSummaryCap = 1<<20 - 64<<10

// appendStepSummary appends the Markdown report, capped, with the same
// view as the report itself.
func (o *Outputs) appendStepSummary(p *retention.Plan) error {
	full := "not saved (use -o json --output-file FILE to keep every row)"
	if o.File != "" {
		full = o.File + " (-o " + string(o.Format) + ")"
	}
	opts := append(append([]report.Option(nil), o.View...), report.WithMaxBytes(stepSummaryCap, full))
	fh, err := os.OpenFile(o.StepSummary, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("writing the GitHub step summary: %w", err)
	}
	if err := report.Write(fh, p, report.Markdown, opts...); err != nil {
		fh.Close()
		return fmt.Errorf("writing the GitHub step summary: %w", err)
	}
	return fh.Close()
}
