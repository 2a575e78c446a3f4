package job_test

import (
	"testing"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/job"
	"github.com/regprune/regprune/retention/registry"
	"github.com/regprune/regprune/retention/registry/oci"
)

// routed compiles cfg and builds the OCI client and the Router over it,
// as a run does.
func routed(tb testing.TB, cfg *retention.Config, opts ...oci.Option) (*retention.Rules, *oci.Client, *registry.Router) {
	tb.Helper()
	rules, err := cfg.Compile()
	if err != nil {
		tb.Fatal(err)
	}
	client, err := oci.New(cfg.Registries, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	r, err := job.NewRouter(cfg, client, nil, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return rules, client, r
}
