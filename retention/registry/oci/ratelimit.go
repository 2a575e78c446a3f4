package oci

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// PullsRemaining reads the pull limit a registry announces (Docker Hub's
// RateLimit-Remaining: "76;w=21600") with one HEAD of tag, which does not
// count as a pull. ok is false when the registry announces none.
func (c *Client) PullsRemaining(ctx context.Context, repo, tag string) (remaining int, ok bool, err error) {
	rc, err := c.repoTransport(ctx, repo)
	if err != nil {
		return 0, false, fmt.Errorf("reading the pull limit of %s: %w", repo, err)
	}
	resp, err := rc.do(ctx, http.MethodHead, "manifests/"+tag, manifestAccept, 0, http.StatusOK, http.StatusNotFound)
	if err != nil {
		return 0, false, fmt.Errorf("reading the pull limit of %s: %w", repo, err)
	}
	v, _, _ := strings.Cut(resp.header.Get("RateLimit-Remaining"), ";")
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return 0, false, nil
	}
	return n, true, nil
}
