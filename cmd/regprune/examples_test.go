package main

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestEveryCommandHasExamples: every command's --help shows examples,
// one at least running the command itself, and every example's command
// line names a command, flags it takes and arguments it accepts.
func TestEveryCommandHasExamples(t *testing.T) {
	t.Parallel()
	newRootCmd := func() *cobra.Command {
		return newRoot(&env{stdout: io.Discard, stderr: io.Discard, lookup: func(string) (string, bool) { return "", false }})
	}
	for _, c := range newRootCmd().Commands() {
		if c.Hidden || c.Name() == "help" {
			continue
		}
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, nil, c.Name(), "--help")
			if r.code != 0 || !strings.Contains(r.stdout, "\nExamples:\n") {
				t.Fatalf("%s --help: exit %d, no examples:\n%s%s", c.Name(), r.code, r.stdout, r.stderr)
			}
			own := 0
			for _, line := range strings.Split(c.Example, "\n") {
				// "regprune plan  # comment", or in a substitution:
				// "source <(regprune completion bash)".
				cmdline, _, _ := strings.Cut(line, "#")
				_, after, ok := strings.Cut(cmdline, "regprune ")
				if !ok {
					continue
				}
				line = "regprune " + strings.TrimSuffix(strings.TrimSpace(after), ")")
				args := strings.Fields(line)[1:]
				cmd, rest, err := newRootCmd().Find(args)
				if err != nil {
					t.Errorf("example %q: %v", line, err)
					continue
				}
				if cmd.Name() == c.Name() || cmd.Parent().Name() == c.Name() {
					own++
				}
				if err := cmd.ParseFlags(rest); err != nil && !errors.Is(err, pflag.ErrHelp) {
					t.Errorf("example %q: %v", line, err)
					continue
				}
				if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
					t.Errorf("example %q: %v", line, err)
				}
			}
			if own == 0 {
				t.Errorf("no example runs regprune %s:\n%s", c.Name(), c.Example)
			}
		})
	}
}
