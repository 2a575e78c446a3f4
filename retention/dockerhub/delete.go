package dockerhub

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/regprune/regprune/retention"
)

// DeleteTag removes one tag through the Hub API (Docker Hub refuses a
// tag DELETE over the OCI API). A tag already gone is ErrNotFound.
func (c *Client) DeleteTag(ctx context.Context, repo, tag string) error {
	ns, name, err := split(repo)
	if err != nil {
		return err
	}
	u := fmt.Sprintf("%s/v2/repositories/%s/%s/tags/%s/", c.api, url.PathEscape(ns), url.PathEscape(name), url.PathEscape(tag))
	status, err := c.call(ctx, http.MethodDelete, u, nil)
	switch {
	case err != nil:
		return fmt.Errorf("deleting tag %s:%s: %w", repo, tag, err)
	case status/100 == 2:
		c.log.InfoContext(ctx, "deleted tag", "repository", repo, "tag", tag)
		return nil
	case status == http.StatusNotFound:
		return fmt.Errorf("deleting tag %s:%s: %w", repo, tag, retention.ErrNotFound)
	}
	return fmt.Errorf("deleting tag %s:%s: %w", repo, tag, hubError(status, u))
}

// DeleteDigest deletes a manifest: its tags through the Hub API first,
// since Docker Hub deletes only untagged manifests, then the manifest by
// digest over the OCI API. The tags are those the last listing gave
// (apply lists again right before each digest delete); one that appeared
// since makes Docker Hub refuse (403), and the manifest stays.
func (c *Client) DeleteDigest(ctx context.Context, repo, digest string) error {
	c.mu.Lock()
	tags := append([]string(nil), c.tagsOf[repo][digest]...)
	c.mu.Unlock()
	for _, t := range tags {
		if err := c.DeleteTag(ctx, repo, t); err != nil && !errors.Is(err, retention.ErrNotFound) {
			return err
		}
	}
	err := c.Client.DeleteDigest(ctx, repo, digest)
	if errors.Is(err, retention.ErrDenied) && strings.Contains(err.Error(), "still be referenced") {
		return fmt.Errorf("%w: %w", retention.ErrReferenced, err)
	}
	return err
}
