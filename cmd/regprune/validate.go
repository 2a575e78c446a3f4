package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/regprune/regprune/retention/config"
	"github.com/regprune/regprune/retention/job"
)

func newValidateCmd(e *env) *cobra.Command {
	var c common
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check the configuration and exit (0 valid, 2 invalid); contacts no registry",
		Example: `  regprune validate  # ./regprune.yaml, or the file $REGPRUNE_CONFIG names
  regprune validate -c /etc/regprune/regprune.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var unset []string
			file, err := c.load(cmd, e, config.WithUnsetCredentials(func(key, variable string) {
				unset = append(unset, fmt.Sprintf("warning: %s: environment variable %s is not set (plan and apply need it)", key, variable))
			}))
			if err != nil {
				return err
			}
			cfg, rules := file.Config, file.Rules
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
			for _, w := range unset {
				fmt.Fprintln(e.stdout, w)
			}
			for _, w := range append(config.HostWarnings(cfg), config.ProviderWarnings(cfg)...) {
				fmt.Fprintln(e.stdout, "warning: "+w)
			}
			if host := file.ReadableSecret(config.Path(c.configPath, e.getenv)); host != "" {
				fmt.Fprintf(e.stdout, "warning: registries %s: %s\n", host, config.ReadableSecretWarning)
			}
			if err := (job.Options{Rules: rules}).Check(); err != nil {
				return usageError("%s: %v: plan and apply would refuse it", config.Path(c.configPath, e.getenv), err)
			}
			return nil
		},
	}
	c.addConfigFlags(cmd)
	return cmd
}
