package github

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	gh "github.com/google/go-github/v93/github"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/manifest"
)

// Referrers answers that GHCR has no referrers API (its referrers are
// untagged versions with a subject, which the listing shows), without a
// request.
func (c *Client) Referrers(context.Context, string, string) ([]v1.Descriptor, bool, error) {
	return nil, false, nil
}

// versionID returns the version ID of digest in repo, listing the
// package again when the digest is not in the last listing.
func (c *Client) versionID(ctx context.Context, repo, digest string) (int64, error) {
	c.mu.Lock()
	id, ok := c.versionIDs[repo][digest]
	c.mu.Unlock()
	if ok {
		return id, nil
	}
	if _, err := c.shallow(ctx, repo); err != nil {
		return 0, err
	}
	c.mu.Lock()
	id, ok = c.versionIDs[repo][digest]
	c.mu.Unlock()
	if !ok {
		return 0, fmt.Errorf("%s@%s: no such package version: %w", repo, digest, retention.ErrNotFound)
	}
	return id, nil
}

// DeleteDigest deletes the package version of digest, which removes
// the manifest and every tag on it. GitHub answers 404 both for a
// version that is gone and for a token that may not delete it, so a 404
// is confirmed by reading the version: still there, the deletion failed
// for lack of permission.
//
// tags are the tags the executor's gate checked on the digest; a version
// delete takes the tags GitHub has on the version, which the gate found
// to be these.
func (c *Client) DeleteDigest(ctx context.Context, repo, digest string, tags []string) error {
	o, pkg, err := c.packageOf(ctx, repo)
	if err != nil {
		return err
	}
	id, err := c.versionID(ctx, repo, digest)
	if err != nil {
		return err
	}
	path := fmt.Sprintf("%s/packages/container/%s/versions/%d", o.path(), url.PathEscape(pkg), id)
	if err := c.send(ctx, "DELETE", path); err != nil {
		return c.deleteFailed(ctx, repo, digest, path, err)
	}
	c.mu.Lock()
	delete(c.versionIDs[repo], digest)
	c.mu.Unlock()
	c.log.InfoContext(ctx, "deleted package version", "repository", repo, "digest", digest, "version", id)
	return nil
}

func (c *Client) send(ctx context.Context, method, path string) error {
	req, err := c.api.NewRequest(ctx, method, path, nil)
	if err != nil {
		return err
	}
	_, err = c.api.Do(req, nil)
	return err
}

// deleteFailed explains a refused version DELETE.
func (c *Client) deleteFailed(ctx context.Context, repo, digest, path string, err error) error {
	var er *gh.ErrorResponse
	if !asErrorResponse(err, &er) || rateLimited(err) {
		return fmt.Errorf("deleting %s@%s: %w", repo, digest, explain(err))
	}
	switch er.Response.StatusCode {
	case http.StatusNotFound:
		if getErr := c.send(ctx, "GET", path); getErr == nil {
			return fmt.Errorf("deleting %s@%s: %w: GitHub answered 404 \"Package not found.\", but the version is still there: the token lacks delete:packages, or (for a GITHUB_TOKEN) the repository lacks the Admin role on the package (Package settings, Manage Actions access)", repo, digest, retention.ErrDenied)
		}
		return fmt.Errorf("deleting %s@%s: %w", repo, digest, retention.ErrNotFound)
	case http.StatusBadRequest:
		if strings.Contains(er.Message, "last tagged version") || strings.Contains(er.Message, "last version") {
			return fmt.Errorf("deleting %s@%s: not done: GitHub refuses to delete the last tagged version of a package (delete the package instead): %s", repo, digest, er.Message)
		}
	case http.StatusForbidden:
		return fmt.Errorf("deleting %s@%s: %w: %s", repo, digest, retention.ErrDenied, er.Message)
	}
	return fmt.Errorf("deleting %s@%s: %w", repo, digest, explain(err))
}

// placeholderMediaType is an OCI index: a placeholder needs no blobs.
const placeholderMediaType = "application/vnd.oci.image.index.v1+json"

// DeleteTag removes one tag while its manifest stays for other tags:
// GHCR cannot delete a tag, so a small unique placeholder (an empty
// index, annotated) is pushed onto the tag, which moves it there, and
// the placeholder's version is then deleted. The executor never calls
// this for a manifest's last tag: that is a digest deletion.
func (c *Client) DeleteTag(ctx context.Context, repo, tag string) error {
	if err := c.ready(); err != nil {
		return err
	}
	nonce := make([]byte, 8)
	_, _ = rand.Read(nonce)
	body := fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"manifests":[],"annotations":{%q:%q,"org.regprune.nonce":%q}}`,
		placeholderMediaType, manifest.PlaceholderAnnotation, tag+" "+time.Now().UTC().Format(time.RFC3339), hex.EncodeToString(nonce))
	digest, err := c.PutManifest(ctx, repo, tag, placeholderMediaType, []byte(body))
	if err != nil {
		return fmt.Errorf("untagging %s:%s: pushing the placeholder: %w", repo, tag, err)
	}
	if err := c.DeleteDigest(ctx, repo, digest, []string{tag}); err != nil {
		if errors.Is(err, retention.ErrNotFound) {
			return nil
		}
		return fmt.Errorf("untagging %s:%s: the tag now points at the placeholder %s, which could not be deleted; the next run that reads manifests deletes it: %w", repo, tag, digest, err)
	}
	return nil
}

// RestoreVersion brings back the deleted package version of digest
// through the Packages API's restore call (GitHub keeps deleted versions
// for 30 days). GitHub restores the version without its tags; the
// caller puts them back.
func (c *Client) RestoreVersion(ctx context.Context, repo, digest string) error {
	o, pkg, err := c.packageOf(ctx, repo)
	if err != nil {
		return err
	}
	deleted, err := c.versionsIn(ctx, o, pkg, "deleted")
	if err != nil {
		return fmt.Errorf("listing the deleted versions of %s: %w", repo, err)
	}
	for _, v := range deleted {
		if v.GetName() == digest {
			path := fmt.Sprintf("%s/packages/container/%s/versions/%d/restore", o.path(), url.PathEscape(pkg), v.GetID())
			if err := c.send(ctx, "POST", path); err != nil {
				return fmt.Errorf("restoring %s@%s: %w", repo, digest, explain(err))
			}
			return nil
		}
	}
	return fmt.Errorf("%s@%s is not among the package's deleted versions (GitHub keeps them 30 days): %w", repo, digest, retention.ErrNotFound)
}
