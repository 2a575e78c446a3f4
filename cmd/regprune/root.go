package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/regprune/regprune/internal/argv"
	"github.com/regprune/regprune/internal/console"
	"github.com/regprune/regprune/internal/publish"
	"github.com/regprune/regprune/retention/config"
	"github.com/regprune/regprune/retention/job"
	"github.com/regprune/regprune/retention/report"
)

// Exit codes (documented in the README; a contract for scripts).
const (
	exitOK      = 0
	exitFailure = 1 // some repositories or deletions failed
	exitUsage   = 2 // bad usage or invalid configuration; nothing contacted
	exitAbort   = 3 // safety abort; nothing deleted
)

// exitError carries an exit code with the message printed for it.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageError(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// env is what a command may read from outside: streams, environment, clock.
type env struct {
	stdout, stderr io.Writer
	lookup         func(string) (string, bool)
	now            func() time.Time
}

func (e *env) getenv(k string) string {
	v, _ := e.lookup(k)
	return v
}

// run executes the command line and returns the exit code. It is main
// without the process: tests call it with buffers.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, lookup func(string) (string, bool)) int {
	e := &env{stdout: stdout, stderr: stderr, lookup: lookup, now: time.Now}
	root := newRoot(e)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	hint := ""
	var ee *exitError
	if !errors.As(err, &ee) {
		// Everything cobra itself refuses (unknown command or flag,
		// missing argument) is bad usage.
		ee, hint = &exitError{code: exitUsage, err: err}, "Run 'regprune --help' for usage."
	}
	if ee.err == nil || ee.err == errSilent {
		return ee.code
	}
	// In the log format the arguments ask for (flag parsing may be what
	// failed).
	console.PrintError(stderr, argv.LogFormat(args, console.DefaultFormat(stderr)), ee.err, ee.code, hint)
	// With -o json (or jsonl) stdout holds one JSON document, also when
	// the run stops at exit code 2 before any report; with --output-file
	// the report file is not written, as for any failure before the report.
	if format := argv.JSONToStdout(args); ee.code == exitUsage && format.IsJSON() {
		_ = report.WriteError(stdout, format, ee.err, exitUsage)
	}
	return ee.code
}

// exitOf maps the libraries' errors to exit codes: what they refused
// before contacting anything is bad usage, a report file that could not
// be written or a state directory restore could not open a failure.
func exitOf(err error) error {
	var (
		refused    *job.RefusedError
		bad        *job.StateDirError
		unwritable *publish.UnwritableError
		file       *publish.FileError
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &bad):
		return usageError("%v; nothing was contacted", err)
	case errors.As(err, &refused), errors.As(err, &unwritable):
		return &exitError{code: exitUsage, err: err}
	case errors.As(err, &file), errors.Is(err, job.ErrNoState):
		return &exitError{code: exitFailure, err: err}
	}
	return err
}

// codeOf is err's exit code: 0 for none, an exitError's own, else 1.
func codeOf(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	}
	return exitFailure
}

// errSilent marks an exit code whose cause was already reported.
var errSilent = errors.New("silent")

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "regprune",
		Short: "Retention for container registries: plan and apply what to keep and delete",
		Long: `regprune lists the tags of the registry repositories its policies name,
ranks them by creation time and semantic version, and deletes the manifests
that fall outside the retention rules. 'regprune plan' only reports.

Exit codes: 0 success; 1 some repositories or deletions failed; 2 bad usage
or invalid configuration; 3 safety abort (maxDeletions), nothing deleted.`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.AddCommand(newPlanCmd(e), newApplyCmd(e), newValidateCmd(e), newVersionCmd(e), newDemoCmd(e), newInitCmd(e), newRestoreCmd(e))
	root.SetOut(e.stdout) // before completion, which keeps the writer it is given
	root.SetErr(e.stderr)
	// Cobra's completion, added now so that an unknown shell is bad usage.
	root.InitDefaultCompletionCmd()
	if c, _, err := root.Find([]string{"completion"}); err == nil && c != root {
		c.Example = "  source <(regprune completion bash)  # completion in this bash session"
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return c.Help()
			}
			return usageError("completion: unknown shell %q: want one of bash, fish, powershell, zsh", args[0])
		}
	}
	return root
}

// common holds the flags shared by the commands that read a configuration.
type common struct {
	configPath  string
	concurrency int
	output      string
	outputFile  string
	summary     bool
	deletions   bool
	verbose     bool
	logLevel    string
	logFormat   string
	shard       string
	shards      int
}

func (c *common) addConfigFlags(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&c.configPath, "config", "c", "", "configuration file (default $"+config.EnvPath+", else ./regprune.yaml)")
	cmd.Flags().IntVar(&c.concurrency, "concurrency", 0, "parallel registry requests (overrides the file)")
	c.addLogFlags(cmd)
}

func (c *common) addLogFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	cmd.Flags().StringVar(&c.logFormat, "log-format", "", "log format: text or json (default: text on a terminal, json otherwise)")
}

func (c *common) addShardFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&c.shard, "shard", "", "run shard I of N (I/N, 0-based): each repository belongs to one shard by a stable hash of its name")
	cmd.Flags().IntVar(&c.shards, "shards", 0, "number of shards, with the index from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job); default $REGPRUNE_SHARDS")
}

func (c *common) addOutputFlags(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&c.output, "output", "o", "text", "report format: text, json, jsonl (the JSON on one line) or markdown")
	cmd.Flags().StringVar(&c.outputFile, "output-file", "", "write the report to this file instead of stdout")
	cmd.Flags().BoolVar(&c.summary, "summary", false, "text and markdown: one row of counts per repository")
	cmd.Flags().BoolVar(&c.deletions, "deletions", false, "text and markdown: the deletions only (apply's default)")
	cmd.Flags().BoolVar(&c.verbose, "verbose", false, "text and markdown: every reason in full, creation times to the second, kept tags listed (and apply's tag table)")
}

// reportOptions turns --summary, --deletions and --verbose into report
// options for format f.
func (c *common) reportOptions(f report.Format) ([]report.Option, error) {
	opts, err := report.ViewOptions(f, c.summary, c.deletions, c.verbose)
	if err != nil {
		return nil, usageError("%w", err)
	}
	return opts, nil
}

// loggerTo builds the slog logger, writing to w: stderr or the status
// line on it, never stdout.
func (c *common) loggerTo(e *env, w io.Writer) (*slog.Logger, error) {
	l, err := console.NewLogger(w, e.stderr, c.logLevel, c.logFormat)
	if err != nil {
		return nil, usageError("%w", err)
	}
	return l, nil
}

// load reads, validates and compiles the configuration; every failure
// is exit 2. The flags of config.Overrides that the user set override
// their keys.
func (c *common) load(cmd *cobra.Command, e *env, extra ...config.Option) (*config.File, error) {
	path := config.Path(c.configPath, e.getenv)
	opts := []config.Option{config.WithEnv(e.lookup), config.WithOverrides(config.FlagOverrides(cmd.Flags()))}
	file, err := config.Read(path, append(opts, extra...)...)
	if errors.Is(err, fs.ErrNotExist) {
		init := "init " + path
		if path == config.DefaultPath {
			init = "init"
		}
		return nil, &exitError{code: exitUsage, err: fmt.Errorf("%w; 'regprune %s' writes a commented one to start from", err, init)}
	}
	if err != nil {
		return nil, &exitError{code: exitUsage, err: err}
	}
	return file, nil
}

func (c *common) format() (report.Format, error) {
	f, err := report.ParseFormat(c.output)
	if err != nil {
		return "", usageError("--output: %v", err)
	}
	if _, err := c.reportOptions(f); err != nil {
		return "", err
	}
	return f, nil
}
