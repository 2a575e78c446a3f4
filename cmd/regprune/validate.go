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
			local := ""
			if l := rules.Local; l != nil {
				if l.Docker != nil {
					local += ", the docker engine"
				}
				if n := len(l.Layouts); n > 0 {
					local += fmt.Sprintf(", %d OCI layouts", n)
				}
			}
			fmt.Fprintf(e.stdout, "%s: valid: %d policies, %d registries configured%s\n",
				config.Path(c.configPath, e.getenv), len(rules.Policies), len(cfg.Registries), local)
			for _, w := range cfg.HostWarnings() {
				fmt.Fprintln(e.stdout, "warning: "+w)
			}
			if len(rules.Policies) == 0 && rules.Local == nil {
				fmt.Fprintln(e.stdout, "note: no policies and no local caches: plan and apply would do nothing")
			}
			return nil
		},
	}
	c.addConfigFlags(cmd)
	return cmd
}
