package oci

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
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
	first := fmt.Sprintf("%s://%s/v2/_catalog", c.scheme(reg), reg.RegistryStr())
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
