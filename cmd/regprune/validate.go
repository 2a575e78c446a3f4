package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/regprune/regprune/retention/config"
)

func newValidateCmd(e *env) *cobra.Command {
	var c common
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check the configuration and exit (0 valid, 2 invalid); contacts no registry",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, rules, err := c.load(cmd, e)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s: valid: %d policies, %d registries configured\n",
				config.Path(c.configPath, e.getenv), len(rules.Policies), len(cfg.Registries))
			return nil
		},
	}
	c.addConfigFlags(cmd)
	return cmd
}
