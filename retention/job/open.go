package job

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/execute"
	"github.com/regprune/regprune/retention/planner"
	"github.com/regprune/regprune/retention/registry"
	"github.com/regprune/regprune/retention/registry/oci"
	"github.com/regprune/regprune/retention/state"
)

// Shard selects the repositories one process of a sharded run owns
// (planner.Shard).
type Shard = planner.Shard

// Counts are the deletions settled so far, for DeleteProgress
// (execute.Counts).
type Counts = execute.Counts

// Run is an apply recorded in the state directory, for restore (state.Run).
type Run = state.Run

// StateDirError: a state directory the user named cannot be used
// (state.UnusableError).
type StateDirError = state.UnusableError

// DefaultStateWait is how long a job waits for another run to release
// the state directory before it goes on without state
// (state.DefaultWait).
const DefaultStateWait = state.DefaultWait

// EnvStateDir is the environment variable that names the state
// directory, under Env.StateDir and over the configuration's stateDir.
const EnvStateDir = state.EnvDir

// Use is what a job is opened for. It decides the scope of the tokens
// the registries are asked for, and what of the state directory the job
// uses.
type Use int

const (
	// ForPlan: tokens that may only pull, so that a plan never holds more
	// than read access; the state directory's cache, and its journal to
	// show what an interrupted apply left.
	ForPlan Use = iota
	// ForApply: tokens that may delete; the cache, the journal, and a
	// record of every manifest deleted (for restore) under a new run id.
	ForApply
	// ForDryRun: apply --dry-run: tokens that may only pull, and the
	// cache; nothing journaled or recorded.
	ForDryRun
	// ForRestore: the state directory's recorded runs, which restore
	// cannot do without; the registries are read as they are, without
	// the cache.
	ForRestore
	// ForDemo: tokens that may delete, and nothing of the state
	// directory: the demo's registries live as long as the demo.
	ForDemo
)

// Env is what a job reads from outside its configuration.
type Env struct {
	Use Use
	// Lookup reads the environment (os.LookupEnv; tests pass their own):
	// GITHUB_TOKEN, REGPRUNE_STATE_DIR, XDG_CACHE_HOME, HOME. Default:
	// an empty environment.
	Lookup func(string) (string, bool)
	// Logger receives the logs of the registries and the state
	// directory. Default: discarded.
	Logger *slog.Logger
	// StateDir names the state directory (the --state-dir flag), over
	// REGPRUNE_STATE_DIR and the configuration's stateDir.
	StateDir string
	// StateWait is how long to wait for another run to release the state
	// directory. Default (0): DefaultStateWait.
	StateWait time.Duration
}

func (e *Env) getenv(k string) string {
	if e.Lookup == nil {
		return ""
	}
	v, _ := e.Lookup(k)
	return v
}

// Job is the assembly a command runs on: the configuration's registries
// (the OCI client with its options and cache, the providers of the
// Router) and the state directory, opened at first use, once, and
// released by Close.
type Job struct {
	cfg *retention.Config
	env Env
	dir state.Dir

	stateOpened bool
	store       *state.Store
	router      *registry.Router
}

// Open names the job's state directory (the flag, REGPRUNE_STATE_DIR,
// the configuration's stateDir, the default under the user cache
// directory) and refuses one the user named that cannot be used, with a
// *StateDirError; nothing is contacted or opened yet.
func Open(cfg *retention.Config, env Env) (*Job, error) {
	if env.Logger == nil {
		env.Logger = slog.New(slog.DiscardHandler)
	}
	if env.StateWait == 0 {
		env.StateWait = DefaultStateWait
	}
	d, err := state.Resolve(env.StateDir, env.getenv, cfg.StateDir)
	if err != nil {
		return nil, err
	}
	return &Job{cfg: cfg, env: env, dir: d}, nil
}

// Close releases the state directory, if the job opened it.
func (j *Job) Close() error {
	return j.store.Close()
}

// StateDir is the job's state directory ("" when none could be named).
func (j *Job) StateDir() string { return j.dir.Path }

// ErrNoState: a job that needs the state directory (restore) could not
// open it.
var ErrNoState = errors.New("the state directory could not be opened")

// noStateError is ErrNoState naming the directory.
type noStateError struct{ dir string }

func (e noStateError) Error() string {
	return fmt.Sprintf("restore needs the state directory %q, which could not be opened", e.dir)
}

func (e noStateError) Is(target error) bool { return target == ErrNoState }

// RefusedError is a job refused before any registry was contacted: a
// registry the configuration names cannot be set up, or restore was
// asked for a run that is not recorded. Its message is Err's.
type RefusedError struct{ Err error }

func (e *RefusedError) Error() string { return e.Err.Error() }
func (e *RefusedError) Unwrap() error { return e.Err }

// OpenState opens the state directory now, rather than at first use,
// dropping what has expired (state.OpenFor). A plan or an apply goes on
// without one, saying why in the logs; for restore, which needs it, the
// error wraps ErrNoState and names the directory.
func (j *Job) OpenState() error {
	if !j.stateOpened && j.env.Use != ForDemo {
		j.stateOpened = true
		j.store = state.OpenFor(j.dir,
			state.WithWait(j.env.StateWait),
			state.WithCacheExpiry(time.Duration(j.cfg.CacheExpiry)),
			state.WithRunRetention(time.Duration(j.cfg.StateRetention)),
			state.WithLogger(j.env.Logger))
	}
	if j.store == nil && j.env.Use == ForRestore {
		return noStateError{j.dir.Path}
	}
	return nil
}

// recorded opens the state directory, which the recorded runs need.
func (j *Job) recorded() error {
	if err := j.OpenState(); err != nil {
		return err
	}
	if j.store == nil {
		return noStateError{j.dir.Path}
	}
	return nil
}

// registries builds, once, the Router of the configuration over the OCI
// client, as j.env.Use says: the token scope and the cache. An OCI
// client that cannot be configured is returned as is; a provider that
// cannot, as a *RefusedError.
func (j *Job) registries() (*registry.Router, error) {
	if j.router != nil {
		return j.router, nil
	}
	if err := j.OpenState(); err != nil {
		return nil, err
	}
	opts := []oci.Option{oci.WithConcurrency(j.cfg.Concurrency), oci.WithLogger(j.env.Logger), oci.WithCloudLogins(oci.CloudLoginsOn(j.cfg))}
	if j.store != nil && j.env.Use != ForRestore {
		opts = append(opts, oci.WithCache(j.store))
	}
	if j.env.Use == ForApply || j.env.Use == ForDemo {
		opts = append(opts, oci.WithDeleteScope())
	}
	client, err := oci.New(j.cfg.Registries, opts...)
	if err != nil {
		return nil, err
	}
	// A github registry without a password uses GITHUB_TOKEN on ghcr.io.
	token := func(host string) string {
		if retention.CanonicalHost(host) == "ghcr.io" {
			return j.env.getenv("GITHUB_TOKEN")
		}
		return ""
	}
	r, err := NewRouter(j.cfg, client, token, j.env.Logger)
	if err != nil {
		return nil, &RefusedError{err}
	}
	j.router = r
	return r, nil
}

// Plan plans what o's scope covers (Plan), a plan job showing what an
// interrupted apply left in the journal.
func (j *Job) Plan(ctx context.Context, o Options) (*retention.Plan, error) {
	reg, err := j.registries()
	if err != nil {
		return nil, err
	}
	if j.env.Use == ForPlan && j.store != nil {
		o.Journal = j.store
	}
	return Plan(ctx, reg, o), nil
}

// Apply executes p, or a fresh plan when p is nil (Apply); saved says p
// was read from a file. An apply job journals its deletions and records
// every manifest it deletes, under a new run id, in the state directory.
func (j *Job) Apply(ctx context.Context, p *retention.Plan, saved bool, o Options) (*retention.Plan, error) {
	reg, err := j.registries()
	if err != nil {
		return nil, err
	}
	if p == nil {
		if o.Reads == nil {
			o.Reads = NewReads() // the plan's reads serve the gate once
		}
		p = Plan(ctx, reg, o)
	}
	if j.env.Use == ForApply && j.store != nil {
		now := o.Now
		if now.IsZero() {
			now = time.Now()
		}
		o.Journal, o.Recorder, o.RunID = j.store, j.store, state.NewRunID(now)
	}
	return Apply(ctx, reg, p, saved, o), nil
}

// DryRun is what Apply would do with p, or with a fresh plan when p is
// nil, in apply's format (DryRun); it deletes nothing.
func (j *Job) DryRun(ctx context.Context, p *retention.Plan, o Options) (*retention.Plan, error) {
	reg, err := j.registries()
	if err != nil {
		return nil, err
	}
	if p == nil {
		p = Plan(ctx, reg, o)
	}
	return DryRun(p, o), nil
}

// ListTags lists the tags of repo, through the repository's provider.
func (j *Job) ListTags(ctx context.Context, repo string) ([]string, error) {
	reg, err := j.registries()
	if err != nil {
		return nil, err
	}
	return reg.ListTags(ctx, repo)
}

// Runs lists the runs recorded in the state directory, newest first.
func (j *Job) Runs() ([]Run, error) {
	if err := j.recorded(); err != nil {
		return nil, err
	}
	return j.store.Runs()
}

// Restore puts back what the recorded apply runID deleted (Restore). A
// run that is not recorded is a *RefusedError; o.Repository, when the
// run deleted nothing there, an error that wraps ErrNotInRun. Both are
// found before any registry is contacted.
func (j *Job) Restore(ctx context.Context, runID string, o RestoreOptions) ([]Restored, error) {
	if err := j.recorded(); err != nil {
		return nil, err
	}
	recorded, err := j.store.Deletions(runID)
	if err != nil {
		return nil, &RefusedError{err}
	}
	if o.Repository != "" {
		if err := CheckRepository(recorded, o.Repository); err != nil {
			return nil, err
		}
	}
	reg, err := j.registries()
	if err != nil {
		return nil, err
	}
	return Restore(ctx, reg, recorded, o), nil
}
