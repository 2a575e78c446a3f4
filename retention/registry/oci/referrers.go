package oci

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	mf "github.com/regprune/regprune/retention/manifest"
)

// Referrers returns the manifests that name digest as their subject,
// from the OCI referrers API, following Link pages. supported is false
// when the registry has no referrers API (404, 400, 406, or an answer
// that is not an OCI index); this method does not fall back to the
// sha256-<hex> tag scheme, which the caller handles from the tag list.
// With an error, supported means nothing.
func (c *Client) Referrers(ctx context.Context, repo, digest string) ([]v1.Descriptor, bool, error) {
	rc, err := c.repoTransport(ctx, repo)
	if err != nil {
		return nil, false, fmt.Errorf("listing referrers of %s@%s: %w", repo, digest, err)
	}
	var out []v1.Descriptor
	supported := true
	err = c.walkPages(ctx, rc.name, rc.rt, rc.url("referrers/"+digest), []string{mf.MediaTypeOCIIndex}, maxManifestBytes,
		[]int{http.StatusOK, http.StatusNotFound, http.StatusBadRequest, http.StatusNotAcceptable},
		func(page int, resp *response, link *url.URL) (string, error) {
			mt, _, _ := mime.ParseMediaType(resp.header.Get("Content-Type"))
			if resp.status != http.StatusOK || mt != mf.MediaTypeOCIIndex {
				if page > 0 {
					return "", fmt.Errorf("%w: page %d answered %d %s", ErrTruncated, page+1, resp.status, mt)
				}
				supported = false
				return "", nil
			}
			var idx v1.IndexManifest
			if err := json.Unmarshal(resp.body, &idx); err != nil {
				return "", fmt.Errorf("decoding: %w", err)
			}
			out = append(out, idx.Manifests...)
			if link == nil {
				return "", nil
			}
			if link.Host != resp.url.Host {
				return "", fmt.Errorf("%w: Link to another host %s", ErrTruncated, link.Host)
			}
			return link.String(), nil
		})
	if err != nil {
		return nil, false, fmt.Errorf("listing referrers of %s@%s: %w", repo, digest, err)
	}
	if !supported {
		return nil, false, nil
	}
	return out, true, nil
}
