package oci

import (
	"context"
	"fmt"
)

// ListTags returns every tag of repo (a full name, "host/path"), in the
// registry's order. It pages itself over the repository's transport:
// go-containerregistry's remote.List stops after the first page on
// registries that send no Link header. A listing that looks truncated or
// inconsistent fails with ErrTruncated; tags are never silently dropped.
// A registry that answers a full page without Link is asked once more
// with last=; one that then repeats tags (ignores last, as ggcr's
// in-memory registry does past the final tag) cannot be told apart from a
// truncated listing, so that fails too.
func (c *Client) ListTags(ctx context.Context, repo string) ([]string, error) {
	rc, err := c.repoTransport(ctx, repo)
	if err != nil {
		return nil, fmt.Errorf("listing tags of %s: %w", repo, err)
	}
	tags, err := c.paginate(ctx, rc.name, rc.rt, rc.url("tags/list"), tagsField)
	if err != nil {
		return nil, fmt.Errorf("listing tags of %s: %w", repo, err)
	}
	return tags, nil
}
