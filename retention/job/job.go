// Package job is regprune's face as a library: a job plans, or applies,
// the registries and then the local caches, as the CLI does. It owns the
// order (remote then local, so that local.docker.followRemote knows what
// the registries lost), the scope, shards, the narrowing of a saved plan
// and what an abort or a signal leaves untouched. The CLI keeps flags,
// logging, output formats and exit codes.
package job

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/execute"
	"github.com/regprune/regprune/retention/planner"
	"github.com/regprune/regprune/retention/report"
)

// Scope is what a run covers.
type Scope string

const (
	// ScopeAll: the registries and the local caches.
	ScopeAll Scope = "all"
	// ScopeRemote: the registries only.
	ScopeRemote Scope = "remote"
	// ScopeLocal: the local caches only.
	ScopeLocal Scope = "local"
)

// Options describe a run. Rules is required; Now defaults to the time
// of the call.
type Options struct {
	Rules *retention.Rules
	// Scope defaults to ScopeAll.
	Scope Scope
	// Shard restricts the registries to the repositories it owns; local
	// caches belong to shard 0 only.
	Shard Shard
	// Concurrency and MaxDeletions as in the configuration.
	Concurrency  int
	MaxDeletions int
	// VerifyWindow as in the configuration (execute.Options).
	VerifyWindow time.Duration
	// Clock is the time the gate measures VerifyWindow on
	// (execute.Options.Clock); default time.Now. A test sets it to pass
	// the window without waiting for it. Now, the time the rules are
	// judged at, is apart from it.
	Clock func() time.Time
	// Reads, when set, keeps what Plan read for the Apply of its plan in
	// this process (see Reads).
	Reads  *Reads
	Logger *slog.Logger
	Now    time.Time
	// PlanProgress and DeleteProgress, when set, are called as
	// repositories are planned and deletions are settled.
	PlanProgress   func(done, total, tags int)
	DeleteProgress func(Counts)
	// Journal, when set, lets Apply finish what an interrupted apply left
	// (see execute.Journal); retention/state's Store is one.
	Journal execute.Journal
	// Recorder and RunID keep every manifest Apply deletes, for restore.
	Recorder execute.Recorder
	RunID    string
}

func (o *Options) defaults() {
	if o.Scope == "" {
		o.Scope = ScopeAll
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
}

func (o *Options) remote() bool { return o.Scope != ScopeLocal }
func (o *Options) local() bool {
	return o.Scope != ScopeRemote && o.Rules.Local != nil && o.Shard.Index == 0
}

// Plan plans what the scope covers: the registries through reg, then
// the local caches.
func Plan(ctx context.Context, reg planner.Lister, o Options) *retention.Plan {
	o.defaults()
	var p *retention.Plan
	if o.remote() {
		po := planner.Options{Concurrency: o.Concurrency, Logger: o.Logger, Shard: o.Shard, Progress: o.PlanProgress, Clock: o.Clock}
		if o.Reads != nil {
			po.Listed = o.Reads.put
		}
		p = planner.Plan(ctx, reg, o.Rules, o.Now, po)
	} else {
		p = &retention.Plan{SchemaVersion: retention.SchemaVersion, Mode: retention.ModePlan, GeneratedAt: o.Now.UTC(), Repositories: []retention.RepoPlan{}}
	}
	planLocal(ctx, p, &o)
	notePending(p, o.Journal, o.Logger)
	p.Summarize()
	noteWaits(p, reg)
	return p
}

// notePending lists, in each repository of a plan, what an interrupted
// apply left pending in the journal: a reviewed plan shows what the next
// apply may finish (those the gate passes), beside what it plans.
func notePending(p *retention.Plan, j execute.Journal, log *slog.Logger) {
	if j == nil {
		return
	}
	for i := range p.Repositories {
		rp := &p.Repositories[i]
		entries, err := j.Pending(rp.Repository)
		if err != nil {
			log.Warn("could not read the journal", "repository", rp.Repository, "error", err)
			continue
		}
		for _, d := range entries {
			if d.Status == "" && d.Kind != retention.KindTag {
				d.Reason = "left pending by an interrupted apply"
				rp.Pending = append(rp.Pending, d)
			}
		}
		if n := len(rp.Pending); n > 0 {
			rp.Notes = append(rp.Notes, fmt.Sprintf("%d deletion(s) left pending by an interrupted apply (what followed a manifest it deleted): apply finishes those the gate still passes, counted by maxDeletions (pending in the JSON report)", n))
		}
	}
}

// A waiter says how long a provider was held back by rate limits.
type waiter interface {
	Waited() (paced, limited time.Duration)
}

// noteWaits records in p how long reg waited for rate limits so far.
func noteWaits(p *retention.Plan, reg any) {
	w, ok := reg.(waiter)
	if !ok {
		return
	}
	// A plan carried into apply has the planning's note; the run's
	// totals replace it.
	p.Notes = slices.DeleteFunc(p.Notes, func(n string) bool { return strings.HasPrefix(n, waitNote) })
	p.Waited = nil
	paced, limited := w.Waited()
	if paced+limited == 0 {
		return
	}
	p.Waited = &retention.Waited{Paced: retention.Duration(paced), Limited: retention.Duration(limited)}
	p.Notes = append(p.Notes, fmt.Sprintf("%s%s (%s paced to stay under them, %s after a limit was hit)",
		waitNote, retention.Duration(paced+limited), retention.Duration(paced), retention.Duration(limited)))
}

const waitNote = "rate limits: waited "

// Apply executes p through reg: the registries first, then the local
// caches, which a safety abort or a signal (ctx done) leaves untouched.
// saved says p was read from a file (narrow it with Narrow first).
func Apply(ctx context.Context, reg execute.Registry, p *retention.Plan, saved bool, o Options) *retention.Plan {
	o.defaults()
	var rec *countingRecorder
	var recorder execute.Recorder
	if o.Recorder != nil {
		rec = &countingRecorder{Recorder: o.Recorder}
		recorder = rec
	}
	eo := execute.Options{
		MaxDeletions: o.MaxDeletions, Saved: saved, Concurrency: o.Concurrency, Logger: o.Logger,
		Progress: o.DeleteProgress, Journal: o.Journal, Recorder: recorder, RunID: o.RunID,
		VerifyWindow: o.VerifyWindow, Clock: o.Clock,
	}
	if l, ok := reg.(planner.Lister); ok {
		eo.Replan = o.replanner(l, saved)

	}
	if o.Reads != nil && !saved {
		eo.ReadAt = o.Reads.began
	}
	out := execute.Apply(ctx, reg, o.Rules, p, o.Now, eo)
	switch {
	case out.Aborted != "":
		skipLocal(out, "safety abort: maxDeletions exceeded, nothing was deleted")
	case ctx.Err() != nil:
		skipLocal(out, "interrupted (SIGINT/SIGTERM) before the local caches were started")
	default:
		applyLocal(ctx, out, &o)
	}
	noteWaits(out, reg)
	// The run id is what `regprune restore --run` takes: given only when
	// something was recorded under it (not for a run that deleted
	// nothing, or only in local caches, which are not recorded).
	if rec != nil && rec.recorded.Load() > 0 && o.RunID != "" && out.Aborted == "" {
		out.RunID = o.RunID
	}
	return out
}

// countingRecorder counts the manifests its Recorder kept.
type countingRecorder struct {
	execute.Recorder
	recorded atomic.Int64
}

var _ execute.Recorder = (*countingRecorder)(nil)

func (c *countingRecorder) RecordDeletion(runID, repo string, d retention.Deletion, raw []byte, contentType string) error {
	err := c.Recorder.RecordDeletion(runID, repo, d, raw, contentType)
	if err == nil {
		c.recorded.Add(1)
	}
	return err
}

// DryRun is what Apply would do with p, in apply's format (see
// execute.DryRun); it changes nothing.
func DryRun(p *retention.Plan, o Options) *retention.Plan {
	return execute.DryRun(p, o.MaxDeletions)
}

// skipLocal marks every deletion of the local caches in r skipped.
func skipLocal(r *retention.Plan, reason string) {
	for i := range r.Local {
		r.Local[i].SkipPending(reason)
	}
	r.Summarize()
}

// ErrNothingToDo: the rules and the scope leave a run nothing to cover.
// A scheduled job that silently does nothing would pass for ever.
var ErrNothingToDo = errors.New("nothing to do")

// ErrNotInRun: restore was asked for a repository the recorded run
// deleted nothing in. Restoring nothing and saying all went well would
// hide a typo.
var ErrNotInRun = errors.New("the run deleted nothing in this repository")

// Check says whether a run with these options would cover anything: the
// scope must include something the rules configure.
func (o Options) Check() error {
	o.defaults()
	remote := o.Rules != nil && len(o.Rules.Policies) > 0
	local := o.Rules != nil && o.Rules.Local != nil
	switch {
	case !remote && !local:
		return fmt.Errorf("%w: the configuration has no policies and no local section", ErrNothingToDo)
	case o.Scope == ScopeLocal && !local:
		return fmt.Errorf("%w: --scope local, and the configuration has no local section", ErrNothingToDo)
	case o.Scope == ScopeRemote && !remote:
		return fmt.Errorf("%w: --scope remote, and the configuration has no policies", ErrNothingToDo)
	}
	return nil
}

// ParseScope reads a scope: remote, local or all.
func ParseScope(s string) (Scope, error) {
	switch sc := Scope(s); sc {
	case ScopeAll, ScopeRemote, ScopeLocal:
		return sc, nil
	}
	return "", fmt.Errorf("%q is not a scope (remote, local, all)", s)
}

// FailOn says why p fails a run whose failOn (the configuration's with
// the CLI's) names kinds of warnings p has; nil when it has none.
func FailOn(p *retention.Plan, failOn []string) error {
	failing := report.Failing(p.Warnings, failOn)
	if len(failing) == 0 {
		return nil
	}
	return fmt.Errorf("failOn %s: %d such warnings, the first: %s", failing[0].Kind, len(failing), failing[0].Message)
}

// replanner is the gate's Replanner over l: the read of this process's
// plan while it is younger than the window (never for a saved plan),
// else a fresh plan of the repository under the rules in force.
func (o *Options) replanner(l planner.Lister, saved bool) execute.Replanner {
	window := o.VerifyWindow
	if window <= 0 {
		window = execute.DefaultVerifyWindow
	}
	clock := o.Clock
	if clock == nil {
		clock = time.Now
	}
	return func(ctx context.Context, repo string, now time.Time) (retention.Listing, retention.RepoPlan, time.Time, error) {
		if o.Reads != nil && !saved {
			if rd, ok := o.Reads.take(repo, clock(), window); ok {
				return rd.l, rd.rp, rd.began, nil
			}
		}
		l, rp, err := planner.Repository(ctx, l, o.Rules, repo, now)
		return l, rp, time.Time{}, err
	}
}
