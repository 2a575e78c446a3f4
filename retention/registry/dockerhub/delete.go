package dockerhub

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

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
// digest over the OCI API. It deletes exactly tags, the tags the
// executor's gate checked on the digest: a tag that the last Hub
// listing shows on it and tags does not name stops the deletion before
// any request (it may be a kept tag the gate did not see there), and
// one that appeared since makes Docker Hub refuse (403), so the manifest
// stays.
func (c *Client) DeleteDigest(ctx context.Context, repo, digest string, tags []string) error {
	c.mu.Lock()
	listed := append([]string(nil), c.tagsOf[repo][digest]...)
	c.mu.Unlock()
	if extra := outside(listed, tags); len(extra) > 0 {
		return fmt.Errorf("deleting %s@%s: the Hub listing shows tag(s) %s on it, which the deletion does not name: %w", repo, digest, strings.Join(extra, ", "), retention.ErrUnnamedTags)
	}
	for _, t := range tags {
		if err := c.DeleteTag(ctx, repo, t); err != nil && !errors.Is(err, retention.ErrNotFound) {
			return err
		}
	}
	err := c.OCI.DeleteDigest(ctx, repo, digest, tags)
	if referenced(err) {
		return fmt.Errorf("%w: %w", retention.ErrReferenced, err)
	}
	return err
}

// referenced reports whether err is Docker Hub's refusal of a digest
// DELETE over the OCI API because the manifest is still referenced (a
// tag on it, or an index listing it), read by status and code, not by
// its message: Docker Hub's registry reference (DeleteImageManifest)
// gives 403 for that alone, the DENIED code's "The manifest may still
// be referenced"; a token without the delete scope is refused by the
// token service (401) before.
func referenced(err error) bool {
	var te *transport.Error
	if !errors.As(err, &te) || te.StatusCode != http.StatusForbidden {
		return false
	}
	for _, d := range te.Errors {
		if d.Code == transport.DeniedErrorCode {
			return true
		}
	}
	return false
}

// outside returns the names of listed that tags does not hold.
func outside(listed, tags []string) []string {
	var out []string
	for _, t := range listed {
		if !slices.Contains(tags, t) {
			out = append(out, t)
		}
	}
	return out
}
