package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/regprune/regprune/internal/console"
	"github.com/regprune/regprune/internal/publish"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/config"
	"github.com/regprune/regprune/retention/job"
	"github.com/regprune/regprune/retention/report"
)

// runFlags are the flags of the commands that plan: plan and apply.
type runFlags struct {
	common
	scope       string
	pushgateway string
	metricsFile string
	stateDir    string
	failOn      []string
}

func (f *runFlags) add(cmd *cobra.Command) {
	f.addConfigFlags(cmd)
	f.addOutputFlags(cmd)
	f.addShardFlags(cmd)
	cmd.Flags().StringVar(&f.scope, "scope", string(job.ScopeAll), "what to cover: remote (registries), local (local caches) or all")
	cmd.Flags().StringVar(&f.pushgateway, "pushgateway", "", "push the run's metrics to this Prometheus Pushgateway URL")
	cmd.Flags().StringVar(&f.metricsFile, "metrics-file", "", "write the run's metrics to this file (node-exporter textfile collector)")
	cmd.Flags().StringSliceVar(&f.failOn, "fail-on", nil, "kinds of warnings that fail the run (exit 1): unmatched (a policy whose repositories or tag selectors match nothing); adds to failOn in the configuration")
	cmd.Flags().StringVar(&f.stateDir, "state-dir", "", "the state directory: a cache of what manifests said, and the journal that lets the next apply finish an interrupted one (default: "+job.EnvStateDir+", stateDir, or regprune/state in the user cache directory)")
}

// session is what a planning command has set up before it contacts any
// registry: every usage or configuration error is found here (exit 2).
type session struct {
	e       *env
	f       *runFlags
	cfg     *retention.Config
	rules   *retention.Rules
	log     *slog.Logger
	format  report.Format
	out     *publish.Outputs
	shard   job.Shard
	started time.Time
	now     time.Time
	// job is the run's registries and state directory.
	job *job.Job
	// status is the progress line on a terminal, nil elsewhere.
	status *console.Line
}

// begin sets up a session for a job opened for use.
func (f *runFlags) begin(cmd *cobra.Command, e *env, use job.Use) (*session, error) {
	format, err := f.format()
	if err != nil {
		return nil, err
	}
	status := console.StatusFor(e.stderr, e.getenv("CI"))
	var logTo io.Writer = e.stderr
	if status != nil {
		logTo = status
	}
	log, err := f.loggerTo(e, logTo)
	if err != nil {
		return nil, err
	}
	console.RouteLibraryLogs(log)
	if _, err := job.ParseScope(f.scope); err != nil {
		return nil, usageError("--scope: %w", err)
	}
	shard, err := job.ResolveShard(f.shard, f.shards, e.getenv)
	if err != nil {
		return nil, usageError("%w", err)
	}
	for _, k := range f.failOn {
		if err := retention.CheckFailOn(k); err != nil {
			return nil, usageError("--fail-on: %v", err)
		}
	}
	file, err := f.load(cmd, e)
	if err != nil {
		return nil, err
	}
	out := f.outputs(format, e.getenv("GITHUB_STEP_SUMMARY"), shard)
	if err := out.Check(); err != nil {
		return nil, exitOf(err)
	}
	s := &session{e: e, f: f, cfg: file.Config, rules: file.Rules, log: log, format: format, out: out, shard: shard, started: time.Now(), now: e.now(), status: status}
	if err := s.runOptions().Check(); err != nil {
		return nil, usageError("%s: %v", config.Path(f.configPath, e.getenv), err)
	}
	if s.job, err = f.openJob(e, s.cfg, use, log); err != nil {
		return nil, err
	}
	// A literal password in a file other users can read.
	if host := file.ReadableSecret(config.Path(f.configPath, e.getenv)); host != "" {
		log.Warn(config.ReadableSecretWarning, "file", config.Path(f.configPath, e.getenv), "registry", host)
	}
	log.Info("regprune starting", "version", versionString(), "command", cmd.Name(),
		"config", config.Path(f.configPath, e.getenv), "scope", f.scope, "shard", shard.String())
	return s, nil
}

// runOptions are the library run's options for this session.
func (s *session) runOptions() job.Options {
	var progress func(done, total, tags int)
	if p := s.status.Progress("planning", "repositories"); p != nil {
		progress = func(done, total, tags int) { p(done, total, fmt.Sprintf("%d tags", tags)) }
	}
	return job.Options{
		Rules: s.rules, Scope: job.Scope(s.f.scope), Shard: s.shard,
		Concurrency: s.cfg.Concurrency, MaxDeletions: s.cfg.MaxDeletions, VerifyWindow: time.Duration(s.cfg.VerifyWindow),
		Logger: s.log, Now: s.now,
		PlanProgress: progress, DeleteProgress: s.deletionProgress(),
	}
}

// finish writes the report (stdout or --output-file), appends it to the
// GitHub step summary when GITHUB_STEP_SUMMARY is set, and records the
// metrics. runErr is the run's own outcome (nil: it will exit 0), and
// finish returns the error to exit with: runErr, or a failure to publish
// the results of a run that otherwise succeeded. A failure to publish
// after a failed run is still said on stderr.
//
// A run stopped by a signal (ctx done) still publishes: that is when the
// report and a Pushgateway's view of the failure matter most.
func (s *session) finish(ctx context.Context, p *retention.Plan, runErr error) error {
	runErr = s.failOnWarnings(p, runErr)
	err := s.publish(ctx, p, runErr)
	s.logSummary(p, err)
	return err
}

// failOnWarnings turns a run that would exit 0 into exit 1 when p has
// warnings of a kind that failOn (the configuration's, with --fail-on)
// names. A run that fails already keeps its own exit code.
func (s *session) failOnWarnings(p *retention.Plan, runErr error) error {
	if err := job.FailOn(p, append(slices.Clone(s.cfg.FailOn), s.f.failOn...)); runErr == nil && err != nil {
		return &exitError{code: exitFailure, err: err}
	}
	return runErr
}

// logSummary is the run's last log line, the one to alert on: the
// counts and the exit code.
func (s *session) logSummary(p *retention.Plan, err error) {
	report.Log(s.log, p, time.Since(s.started), codeOf(err))
}

// publish writes the report and the metrics (publish.Outputs); see
// finish.
func (s *session) publish(ctx context.Context, p *retention.Plan, runErr error) error {
	s.status.End()
	err := s.out.Publish(ctx, s.e.stdout, p, s.started, runErr == nil)
	if err == nil {
		return runErr
	}
	if runErr != nil {
		s.log.Error("publishing the results failed", "error", err.Error())
		return runErr
	}
	// The run itself is done; failing to publish its results is a
	// failure of the job all the same.
	return &exitError{code: exitFailure, err: err}
}

// deletionProgress shows the deletions settled on the status line, or
// is nil when there is none (CI, or stderr is not a terminal).
func (s *session) deletionProgress() func(job.Counts) {
	if s.status == nil {
		return nil
	}
	return func(c job.Counts) { s.status.Deletions(c.Deleted, c.Skipped, c.Failed, c.Total) }
}

// outputs are where the run's results go, as the flags say.
func (f *runFlags) outputs(format report.Format, stepSummary string, shard job.Shard) *publish.Outputs {
	view, _ := f.reportOptions(format) // checked by format()
	o := &publish.Outputs{Format: format, View: view, File: f.outputFile, StepSummary: stepSummary, MetricsFile: f.metricsFile, Pushgateway: f.pushgateway}
	if shard.Count > 1 {
		o.Shard = shard.String()
	}
	return o
}

// openJob opens the run's job (job.Open), refusing a state directory
// the user named that cannot be used: bad usage, before any registry is
// contacted.
func (f *runFlags) openJob(e *env, cfg *retention.Config, use job.Use, log *slog.Logger) (*job.Job, error) {
	j, err := job.Open(cfg, job.Env{Use: use, Lookup: e.lookup, Logger: log, StateDir: f.stateDir, StateWait: stateWait})
	return j, exitOf(err)
}

// stateWait is how long a run waits for another to release the state
// directory (a variable for the tests that shorten it).
var stateWait = job.DefaultStateWait
