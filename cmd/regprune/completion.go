package main

import (
	"strings"

	"github.com/spf13/cobra"
)

// addCompletion adds cobra's completion command to root with examples,
// and makes a shell it has no script for bad usage: cobra's own prints
// the help and exits 0 for any argument, as a command with subcommands
// and nothing to run does.
func addCompletion(root *cobra.Command) {
	// Cobra adds it at Execute unless root has one already.
	root.InitDefaultCompletionCmd()
	var cmd *cobra.Command
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			cmd = c
		}
	}
	if cmd == nil {
		return
	}
	var shells []string
	for _, c := range cmd.Commands() {
		shells = append(shells, c.Name())
	}
	cmd.Example = `  # Completion in this bash session
  source <(regprune completion bash)

  # How to install it for good in zsh
  regprune completion zsh --help`
	cmd.Args = cobra.ArbitraryArgs
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return cmd.Help()
		}
		return usageError("completion: unknown shell %q: want one of %s", args[0], strings.Join(shells, ", "))
	}
}
