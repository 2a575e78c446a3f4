package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/config"
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
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err != errSilent {
			fmt.Fprintf(stderr, "regprune: %v\n", ee.err)
		}
		return ee.code
	}
	// Everything cobra itself refuses (unknown command or flag, missing
	// argument) is bad usage.
	fmt.Fprintf(stderr, "regprune: %v\nRun 'regprune --help' for usage.\n", err)
	return exitUsage
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
	root.CompletionOptions.DisableDefaultCmd = true
	root.AddCommand(newPlanCmd(e), newApplyCmd(e), newValidateCmd(e), newVersionCmd(e), newDemoCmd(e))
	return root
}

// common holds the flags shared by the commands that read a configuration.
type common struct {
	configPath  string
	concurrency int
	output      string
	outputFile  string
	logLevel    string
	logFormat   string
}

func (c *common) addConfigFlags(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&c.configPath, "config", "c", "", "configuration file (default $"+config.EnvPath+", else ./regprune.yaml)")
	cmd.Flags().IntVar(&c.concurrency, "concurrency", 0, "parallel registry requests (overrides the file)")
	c.addLogFlags(cmd)
}

func (c *common) addLogFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	cmd.Flags().StringVar(&c.logFormat, "log-format", "text", "log format: text or json")
}

func (c *common) addOutputFlags(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&c.output, "output", "o", "text", "report format: text, json or markdown")
	cmd.Flags().StringVar(&c.outputFile, "output-file", "", "write the report to this file instead of stdout")
}

// logger builds the slog logger: logs go to stderr, never stdout.
func (c *common) logger(e *env) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return nil, usageError("--log-level: %q is not a level (debug, info, warn, error)", c.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(e.stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(e.stderr, opts)), nil
	}
	return nil, usageError("--log-format: %q is not a format (text, json)", c.logFormat)
}

// load reads and validates the configuration; every failure is exit 2.
func (c *common) load(cmd *cobra.Command, e *env) (*retention.Config, *retention.Rules, error) {
	path := config.Path(c.configPath, e.getenv)
	overrides := map[string]any{}
	if cmd.Flags().Changed("concurrency") {
		overrides["concurrency"] = c.concurrency
	}
	cfg, err := config.Load(path, config.WithEnv(e.lookup), config.WithOverrides(overrides))
	if err != nil {
		return nil, nil, &exitError{code: exitUsage, err: err}
	}
	rules, err := cfg.Compile()
	if err != nil {
		return nil, nil, &exitError{code: exitUsage, err: fmt.Errorf("%s: %w", path, err)}
	}
	return cfg, rules, nil
}

func (c *common) format() (report.Format, error) {
	f, err := report.ParseFormat(c.output)
	if err != nil {
		return "", usageError("--output: %v", err)
	}
	return f, nil
}

// writeReport writes the report to stdout or --output-file.
func (c *common) writeReport(e *env, p *retention.Plan, f report.Format) error {
	if c.outputFile == "" {
		return report.Write(e.stdout, p, f)
	}
	var b strings.Builder
	if err := report.Write(&b, p, f); err != nil {
		return err
	}
	if err := os.WriteFile(c.outputFile, []byte(b.String()), 0o644); err != nil {
		return &exitError{code: exitFailure, err: fmt.Errorf("writing the report: %w", err)}
	}
	return nil
}
