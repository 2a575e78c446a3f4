package oci

import (
	"context"
	"fmt"
	"mime"
	"net/http"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// HeadTag returns the digest tag points at, with one HEAD (index types
// accepted). A registry that sends no Docker-Content-Digest costs a GET.
// A missing tag fails with ErrNotFound.
func (c *Client) HeadTag(ctx context.Context, repo, tag string) (string, error) {
	d, _, err := c.ResolveTag(ctx, repo, tag)
	return d, err
}

// ResolveTag is HeadTag that also returns the manifest's media type, from
// the same HEAD.
func (c *Client) ResolveTag(ctx context.Context, repo, tag string) (digest, mediaType string, err error) {
	rc, err := c.repoTransport(ctx, repo)
	if err != nil {
		return "", "", fmt.Errorf("resolving tag %s:%s: %w", repo, tag, err)
	}
	resp, err := rc.do(ctx, http.MethodHead, "manifests/"+tag, manifestAccept, 0, http.StatusOK, http.StatusNotFound)
	if err != nil {
		return "", "", fmt.Errorf("resolving tag %s:%s: %w", repo, tag, err)
	}
	if resp.status == http.StatusNotFound {
		return "", "", fmt.Errorf("resolving tag %s:%s: %w", repo, tag, ErrNotFound)
	}
	mt, _, _ := mime.ParseMediaType(resp.header.Get("Content-Type"))
	if d := resp.header.Get("Docker-Content-Digest"); d != "" && mt != "" {
		return d, mt, nil
	}
	m, err := rc.getManifest(ctx, tag)
	if err != nil {
		return "", "", fmt.Errorf("resolving tag %s:%s: %w", repo, tag, err)
	}
	return m.digest, m.mediaType, nil
}

// ReadTag returns the digest tag points at as the hash of the manifest
// the registry serves for it, and its media type, with one GET: the same
// rule the plan's listing uses, for when a HEAD's Docker-Content-Digest
// is not to be taken on trust. A missing tag fails with ErrNotFound.
func (c *Client) ReadTag(ctx context.Context, repo, tag string) (digest, mediaType string, err error) {
	rc, err := c.repoTransport(ctx, repo)
	if err != nil {
		return "", "", fmt.Errorf("reading tag %s:%s: %w", repo, tag, err)
	}
	m, err := rc.getManifest(ctx, tag)
	if err != nil {
		return "", "", fmt.Errorf("reading tag %s:%s: %w", repo, tag, err)
	}
	return m.digest, m.mediaType, nil
}

// Children returns the descriptors of the manifests an index lists, in
// order (none for an image), with one GET of the manifest by digest.
func (c *Client) Children(ctx context.Context, repo, digest string) ([]v1.Descriptor, error) {
	rc, err := c.repoTransport(ctx, repo)
	if err != nil {
		return nil, fmt.Errorf("reading %s@%s: %w", repo, digest, err)
	}
	m, err := rc.getManifest(ctx, digest)
	if err != nil {
		return nil, fmt.Errorf("reading %s@%s: %w", repo, digest, err)
	}
	return m.children, nil
}

// Exists reports whether the manifest digest exists in repo, with one
// HEAD.
func (c *Client) Exists(ctx context.Context, repo, digest string) (bool, error) {
	rc, err := c.repoTransport(ctx, repo)
	if err != nil {
		return false, fmt.Errorf("checking %s@%s: %w", repo, digest, err)
	}
	ok, err := rc.exists(ctx, digest)
	if err != nil {
		return false, fmt.Errorf("checking %s@%s: %w", repo, digest, err)
	}
	return ok, nil
}

// DeleteTag removes one tag (the manifest stays for its other tags). Not
// every registry can (IsUnsupported tells). A tag that is already gone
// fails with ErrNotFound. The DELETE is sent once: a 429, a 5xx or a
// dropped connection is the caller's to try again.
func (c *Client) DeleteTag(ctx context.Context, repo, tag string) error {
	if err := c.delete(ctx, repo, tag); err != nil {
		return fmt.Errorf("deleting tag %s:%s: %w", repo, tag, err)
	}
	c.opts.logger.InfoContext(ctx, "deleted tag", "repository", repo, "tag", tag)
	return nil
}

// DeleteDigest deletes a manifest by digest, and with it every tag that
// points at it: the caller names them (tags, which the executor's gate
// found on it right before; the OCI DELETE needs no list). A digest that
// is already gone fails with ErrNotFound. The DELETE is sent once: a 429,
// a 5xx or a dropped connection is the caller's to try again (through
// the gate).
func (c *Client) DeleteDigest(ctx context.Context, repo, digest string, tags []string) error {
	if err := c.delete(ctx, repo, digest); err != nil {
		return fmt.Errorf("deleting %s@%s: %w", repo, digest, err)
	}
	c.opts.logger.InfoContext(ctx, "deleted manifest", "repository", repo, "digest", digest)
	return nil
}

func (c *Client) delete(ctx context.Context, repo, ref string) error {
	rc, err := c.repoTransport(ctx, repo)
	if err != nil {
		return err
	}
	_, err = rc.do(ctx, http.MethodDelete, "manifests/"+ref, nil, maxJSONBytes, http.StatusAccepted, http.StatusOK)
	return err
}
