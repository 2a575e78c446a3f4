package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/regprune/regprune/retention"
)

// Referrers returns the manifests that name digest as their subject,
// from the OCI referrers API, following Link pages. supported is false
// when the registry has no referrers API (404, 400, 406, or an answer
// that is not an OCI index); this method does not fall back to the
// sha256-<hex> tag scheme, which the caller handles from the tag list.
func (c *Client) Referrers(ctx context.Context, repo, digest string) ([]v1.Descriptor, bool, error) {
	rc, err := c.repoTransport(ctx, repo)
	if err != nil {
		return nil, false, fmt.Errorf("listing referrers of %s@%s: %w", repo, digest, err)
	}
	var out []v1.Descriptor
	next := rc.url("referrers/" + digest)
	visited := map[string]bool{}
	for page := 0; next != ""; page++ {
		if page >= maxPages || visited[next] {
			return nil, true, fmt.Errorf("listing referrers of %s@%s: %w: endless pagination", repo, digest, ErrTruncated)
		}
		visited[next] = true
		resp, err := c.do(ctx, rc.name, rc.rt, http.MethodGet, next, []string{retention.MediaTypeOCIIndex}, maxManifestBytes,
			http.StatusOK, http.StatusNotFound, http.StatusBadRequest, http.StatusNotAcceptable)
		if err != nil {
			return nil, false, fmt.Errorf("listing referrers of %s@%s: %w", repo, digest, err)
		}
		mt, _, _ := mime.ParseMediaType(resp.header.Get("Content-Type"))
		if resp.status != http.StatusOK || mt != retention.MediaTypeOCIIndex {
			if page > 0 {
				return nil, true, fmt.Errorf("listing referrers of %s@%s: %w: page %d answered %d %s", repo, digest, ErrTruncated, page+1, resp.status, mt)
			}
			return nil, false, nil
		}
		var idx v1.IndexManifest
		if err := json.Unmarshal(resp.body, &idx); err != nil {
			return nil, true, fmt.Errorf("decoding referrers of %s@%s: %w", repo, digest, err)
		}
		out = append(out, idx.Manifests...)
		link, err := nextLink(resp)
		if err != nil {
			return nil, true, fmt.Errorf("listing referrers of %s@%s: %w", repo, digest, err)
		}
		next = ""
		if link != nil {
			if link.Host != resp.url.Host {
				return nil, true, fmt.Errorf("listing referrers of %s@%s: %w: Link to another host %s", repo, digest, ErrTruncated, link.Host)
			}
			next = link.String()
		}
	}
	return out, true, nil
}
