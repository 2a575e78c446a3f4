package oci

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/regprune/regprune/retention"
)

// PutManifest uploads a manifest under tag and returns its digest. The
// GitHub provider uses it to move a tag onto a placeholder, since GHCR
// cannot delete a tag alone.
func (c *Client) PutManifest(ctx context.Context, repo, tag, mediaType string, body []byte) (string, error) {
	r, err := c.repository(repo)
	if err != nil {
		return "", err
	}
	// A push needs a token with push scope (pull,push).
	rt, err := c.transportFor(ctx, repo+" push", retention.Host(repo), r.Registry, r.Scope(transport.PushScope))
	if err != nil {
		return "", err
	}
	rc := &repoConn{c: c, repo: r, name: repo, rt: rt}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, rc.url("manifests/"+tag), bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("building request: %w", err)
	}
	req.Header.Set("Content-Type", mediaType)
	if err := c.slots.acquire(ctx, rc.name); err != nil {
		return "", err
	}
	defer c.slots.release(rc.name)
	resp, err := (&http.Client{Transport: rc.rt}).Do(req)
	if err != nil {
		return "", classify(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		// CheckError reads the registry's answer (MANIFEST_BLOB_UNKNOWN...).
		return "", classify(transport.CheckError(resp, http.StatusCreated))
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxJSONBytes))
	return fmt.Sprintf("sha256:%x", sha256.Sum256(body)), nil
}
