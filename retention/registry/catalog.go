package registry

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/regprune/regprune/retention"
)

// Catalog returns every repository of the registry at host as full names
// ("host/path"), from /v2/_catalog. It needs the registry:catalog:*
// scope; Docker Hub and GHCR have no catalog.
func (c *Client) Catalog(ctx context.Context, host string) ([]string, error) {
	reg, err := c.registry(host)
	if err != nil {
		return nil, err
	}
	rt, err := c.transportFor(ctx, "catalog:"+host, host, reg, reg.Scope(transport.CatalogScope))
	if err != nil {
		return nil, fmt.Errorf("listing repositories of %s: %w", host, err)
	}
	first := fmt.Sprintf("%s://%s/v2/_catalog", reg.Scheme(), reg.RegistryStr())
	paths, err := c.paginate(ctx, "catalog:"+host, rt, first, repositoriesField)
	if err != nil {
		return nil, fmt.Errorf("listing repositories of %s: %w", host, err)
	}
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = host + "/" + p
	}
	return out, nil
}

// Expand returns the repositories the policies govern, sorted and
// without duplicates: literal names as written, globs matched against
// the catalog of their host (listed once per host), minus each policy's
// excludes. When a catalog cannot be listed (it is asked once per
// host), the repositories of the other hosts and the literal names are
// still returned, with an error that joins one *retention.ExpandError per
// pattern on a failed host.
func (c *Client) Expand(ctx context.Context, rules *retention.Rules) ([]string, error) {
	catalogs := map[string][]string{}
	failed := map[string]error{}  // by host: the catalog is asked once
	reported := map[string]bool{} // by pattern
	var errs []error
	var out []string
	for _, p := range rules.Policies {
		for _, pat := range p.Repositories {
			if pat.IsLiteral() {
				if p.Governs(pat.String()) {
					out = append(out, pat.String())
				}
				continue
			}
			host := retention.Host(pat.String())
			repos, ok := catalogs[host]
			if !ok && failed[host] == nil {
				var err error
				if repos, err = c.Catalog(ctx, host); err != nil {
					failed[host] = err
				} else {
					catalogs[host] = repos
				}
			}
			if err := failed[host]; err != nil {
				// Every pattern on the host is reported, so that no
				// policy's repositories drop out of the plan unseen.
				if !reported[pat.String()] {
					reported[pat.String()] = true
					errs = append(errs, &retention.ExpandError{Pattern: pat.String(), Err: err})
				}
				continue
			}
			for _, r := range repos {
				if pat.Match(r) && p.Governs(r) {
					out = append(out, r)
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out), errors.Join(errs...)
}
