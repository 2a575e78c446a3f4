package dockerhub

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/regprune/regprune/internal/pool"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/manifest"
)

// Manifests are read over the OCI API, where Docker Hub counts every
// manifest GET as a pull against the account's pull limit (a HEAD does
// not count). The client keeps the bytes of each manifest it read, by
// repository and digest (the content under a digest never changes), so
// that what a plan read serves apply's gate: a manifest is pulled at
// most once a run.

// readers bounds the manifest GETs of one Deepen in flight; the
// registry client bounds requests overall.
const readers = 8

type rawManifest struct {
	raw []byte
	ct  string
}

func key(repo, digest string) string { return repo + "@" + digest }

// RawManifest returns a manifest's bytes and content type: the ones this
// client read before, else through the registry client (from its cache
// by hash, or with a GET checked against the digest, a pull), kept.
func (c *Client) RawManifest(ctx context.Context, repo, digest string) ([]byte, string, error) {
	c.mu.Lock()
	m, ok := c.read[key(repo, digest)]
	c.mu.Unlock()
	if ok {
		return m.raw, m.ct, nil
	}
	raw, ct, err := c.OCI.RawManifest(ctx, repo, digest)
	if err != nil {
		return nil, "", err
	}
	c.mu.Lock()
	c.read[key(repo, digest)] = rawManifest{raw: raw, ct: ct}
	c.mu.Unlock()
	return raw, ct, nil
}

// Children lists the manifests an index lists (none for an image), from
// its bytes (RawManifest: no pull when it was read before).
func (c *Client) Children(ctx context.Context, repo, digest string) ([]v1.Descriptor, error) {
	raw, _, err := c.RawManifest(ctx, repo, digest)
	if err != nil {
		return nil, err
	}
	var m struct {
		Manifests []v1.Descriptor `json:"manifests"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("parsing %s@%s: %w", repo, digest, err)
	}
	return m.Manifests, nil
}

// pulls returns the digests of ds whose read would be a pull: neither
// read by this client nor served by the registry client's cache.
func (c *Client) pulls(repo string, ds []string) []string {
	var out []string
	for _, d := range ds {
		c.mu.Lock()
		_, ok := c.read[key(repo, d)]
		c.mu.Unlock()
		if !ok && !c.Cached(repo, d) {
			out = append(out, d)
		}
	}
	return out
}

// ReadBudget is the executor's Budgeter: before the gate reads the
// manifests of digests (each once), one HEAD (not a pull) reads the
// pulls remaining, and reads that would pass them fail the repository,
// naming both, before any. Reads served without a pull (read before in
// this run, or cached) are not counted; a registry that announces no
// limit passes.
func (c *Client) ReadBudget(ctx context.Context, repo string, digests []string) error {
	pull := c.pulls(repo, digests)
	if len(pull) == 0 {
		return nil
	}
	left, ok, err := c.PullsRemaining(ctx, repo, pull[0])
	if err != nil {
		return fmt.Errorf("checking Docker Hub's pull limit before deleting: %w", err)
	}
	if ok && left < len(pull) {
		return fmt.Errorf("%w: deleting in %s reads %d manifests first, %d of them pulls (%d read already), and Docker Hub's pull limit has %d pulls remaining, so nothing is deleted there; apply again once the limit resets",
			retention.ErrRateLimited, repo, len(digests), len(pull), len(digests)-len(pull), left)
	}
	return nil
}

// readFor completes a shallow listing for a plan that deletes want: it
// reads want's manifests (their subjects and children decide how they
// go), and any tagged manifest the tag list does not describe (no media
// type, or an index with an empty images[]: what it lists is unknown,
// and a kept index must not lose a child). Every other manifest keeps
// what the tag list says, unread. Before the first read, one HEAD reads
// the pulls remaining, and reads that would pass them fail the listing.
func (c *Client) readFor(ctx context.Context, l retention.Listing, want []string) (retention.Listing, error) {
	set := map[string]bool{}
	for _, d := range want {
		set[d] = true
	}
	for _, t := range l.Tags {
		if m := l.Manifests[t.Digest]; m.MediaType == "" || m.IsIndex() && m.Children == nil {
			set[t.Digest] = true
		}
	}
	digests := slices.Sorted(maps.Keys(set))
	if pull := c.pulls(l.Repository, digests); len(pull) > 0 {
		left, ok, err := c.PullsRemaining(ctx, l.Repository, pull[0])
		if err != nil {
			return retention.Listing{}, err
		}
		if ok {
			l.Notes = append(l.Notes, fmt.Sprintf("Docker Hub pull limit: %d pulls remaining before reading the %d manifests the plan deletes or the tag list does not describe (%d of them pulls)", left, len(digests), len(pull)))
			if left < len(pull) {
				return retention.Listing{}, fmt.Errorf("%w: the plan of %s deletes manifests that must be read first: %d reads, %d of them pulls, and Docker Hub's pull limit has %d pulls remaining, so nothing is deleted there; plan again once the limit resets",
					retention.ErrRateLimited, l.Repository, len(digests), len(pull), left)
			}
		}
	}
	read := make([]retention.Manifest, len(digests))
	err := pool.Each(ctx, readers, len(digests), func(ctx context.Context, i int) error {
		raw, ct, err := c.RawManifest(ctx, l.Repository, digests[i])
		if err != nil {
			return fmt.Errorf("reading manifest %s: %w", digests[i], err)
		}
		read[i], err = parseManifest(digests[i], raw, ct)
		return err
	})
	if err != nil {
		return retention.Listing{}, fmt.Errorf("reading manifests of %s: %w", l.Repository, err)
	}
	l.Manifests = maps.Clone(l.Manifests)
	if l.Manifests == nil {
		l.Manifests = map[string]retention.Manifest{}
	}
	for _, m := range read {
		l.Manifests[m.Digest] = m
	}
	l.Shallow = false
	return l, nil
}

// parseManifest takes what Decide needs from a manifest's bytes: its
// media type, an index's children and the subject.
func parseManifest(digest string, raw []byte, ct string) (retention.Manifest, error) {
	l, err := manifest.ParseLinks(raw, ct)
	if err != nil {
		return retention.Manifest{}, fmt.Errorf("parsing manifest %s: %w", digest, err)
	}
	out := retention.Manifest{Digest: digest, MediaType: l.MediaType, Subject: l.Subject}
	if out.IsIndex() {
		out.Children = append([]string{}, l.Children...)
	}
	return out, nil
}
