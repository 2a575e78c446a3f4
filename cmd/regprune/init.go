package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/regprune/regprune/internal/example"
)

func newInitCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "init [FILE]",
		Short: "Write a commented starting configuration (default ./regprune.yaml); never overwrites",
		Example: `  regprune init  # write ./regprune.yaml; then regprune validate
  regprune init ci/regprune.yaml`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			path := "regprune.yaml"
			if len(args) == 1 {
				path = args[0]
			}
			// O_EXCL: an existing configuration is never replaced. 0600:
			// it will hold credentials.
			fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if errors.Is(err, fs.ErrExist) {
				return usageError("init: %s exists; nothing written (remove it or name another file)", path)
			}
			if err != nil {
				return usageError("init: %v", err)
			}
			if _, err := fh.Write(example.Config); err != nil {
				fh.Close()
				return &exitError{code: exitFailure, err: fmt.Errorf("init: writing %s: %w", path, err)}
			}
			if err := fh.Close(); err != nil {
				return &exitError{code: exitFailure, err: fmt.Errorf("init: writing %s: %w", path, err)}
			}
			fmt.Fprintf(e.stdout, "wrote %s: edit the registries and policies, then run regprune validate -c %s\n", path, path)
			return nil
		},
	}
}
