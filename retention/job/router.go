package job

import (
	"log/slog"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/execute"
	"github.com/regprune/regprune/retention/planner"
	"github.com/regprune/regprune/retention/registry"
	"github.com/regprune/regprune/retention/registry/dockerhub"
	"github.com/regprune/regprune/retention/registry/github"
	"github.com/regprune/regprune/retention/registry/oci"
)

// apis are the registry providers this binary links, beside the OCI
// client: the one table a new provider is added to.
var apis = []registry.API{
	github.API,
	dockerhub.API,
}

func init() {
	for _, a := range apis {
		registry.Register(a)
	}
}

// The Router is what plan and apply are given: it satisfies the
// planner's and the executor's interfaces, and the OCI client is a
// provider among the others.
var (
	_ planner.Lister         = (*registry.Router)(nil)
	_ planner.Deepener       = (*registry.Router)(nil)
	_ planner.Scoper         = (*registry.Router)(nil)
	_ planner.ReferrerLister = (*registry.Router)(nil)
	_ execute.Registry       = (*registry.Router)(nil)
	_ execute.Budgeter       = (*registry.Router)(nil)
	_ registry.OCI           = (*oci.Client)(nil)
)

// NewRouter builds the Router of cfg over the OCI client oci. token
// returns the REST token of a github registry when its password is empty
// (GITHUB_TOKEN for ghcr.io); it may be nil.
func NewRouter(cfg *retention.Config, oci *oci.Client, token func(host string) string, log *slog.Logger) (*registry.Router, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return registry.NewRouter(cfg, registry.Env{OCI: oci, Token: token, Logger: log})
}
