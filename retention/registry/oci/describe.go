package oci

import (
	"context"
	"fmt"
	"time"

	"github.com/regprune/regprune/retention"
	mf "github.com/regprune/regprune/retention/manifest"
)

// Describe completes a listing whose tags and untagged manifests came
// from a provider's API (GitHub Packages lists every manifest with its
// digest, tags and push time): it reads each distinct digest's manifest
// once (media type, children, subject), nested indexes by digest once,
// and, when needTime is set, the creation time of each digest an
// ordinary tag points at (at most one config blob per digest). No tag
// is listed or resolved over the OCI API. It clears Shallow.
func (c *Client) Describe(ctx context.Context, listing retention.Listing, needTime bool, now time.Time) (retention.Listing, error) {
	repo := listing.Repository
	rc, err := c.repoTransport(ctx, repo)
	if err != nil {
		return retention.Listing{}, fmt.Errorf("reading manifests of %s: %w", repo, err)
	}
	l := &lister{c: c, rc: rc, now: now}
	all := map[string]bool{}
	timed := map[string]bool{}
	for _, t := range listing.Tags {
		all[t.Digest] = true
		if _, ok := mf.AttachmentSubject(t.Name); !ok {
			timed[t.Digest] = true
		}
	}
	for _, u := range listing.Untagged {
		all[u.Digest] = true
	}
	digests := sortedKeys(all)
	err = c.forEach(ctx, len(digests), func(ctx context.Context, i int) error {
		m, err := l.byDigest(ctx, digests[i])
		if err != nil {
			return fmt.Errorf("reading manifest %s: %w", digests[i], err)
		}
		return l.expand(ctx, m, 0)
	})
	if err != nil {
		return retention.Listing{}, fmt.Errorf("reading manifests of %s: %w", repo, err)
	}
	if needTime {
		resolved := l.manifests.values()
		timedList := sortedKeys(timed)
		err = c.forEach(ctx, len(timedList), func(ctx context.Context, i int) error {
			_, err := l.created(ctx, resolved[timedList[i]], 0)
			return err
		})
		if err != nil {
			return retention.Listing{}, fmt.Errorf("reading creation times in %s: %w", repo, err)
		}
	}
	if listing.Manifests == nil {
		listing.Manifests = map[string]retention.Manifest{}
	}
	l.record(&listing)
	listing.Shallow = false
	return listing, nil
}
