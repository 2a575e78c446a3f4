package registry

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/regprune/regprune/retention"
)

// Cache keeps what was read from manifests, by repository and digest,
// across runs: a digest's content never changes, so an entry is never
// stale. retention/state's Store is one. With a cache, a repository seen
// before has its tags resolved with HEAD (no body), and no manifest or
// config it has cached is read again.
type Cache interface {
	Manifest(repo, digest string) (raw []byte, contentType string, ok bool)
	PutManifest(repo, digest string, raw []byte, contentType string)
	// Config and PutConfig keep what a config blob says of creation,
	// by its digest: the creation time is then worked out again without
	// a request, with the same result.
	Config(repo, digest string) (retention.ConfigFacts, bool)
	PutConfig(repo, digest string, f retention.ConfigFacts)
	// Knows reports whether anything of repo is cached.
	Knows(repo string) bool
	// FirstSeen is when a manifest was first cached.
	FirstSeen(repo, digest string) (time.Time, bool)
	// TagDigest and PutTagDigest keep the digest a tag pointed at when
	// its manifest was last read whole (the body's hash).
	TagDigest(repo, tag string) (string, bool)
	PutTagDigest(repo, tag, digest string)
}

// WithCache makes the client read through c. Default: no cache.
func WithCache(c Cache) Option {
	return func(o *options) error {
		if c == nil {
			return errors.New("WithCache: nil cache")
		}
		o.cache = c
		return nil
	}
}

// cachedManifest returns the manifest of digest from the cache, parsed,
// or nil. Its bytes hash to digest (checked), so the cache cannot
// answer for another manifest.
func (rc *repoConn) cachedManifest(digest string) *manifest {
	c := rc.c.opts.cache
	if c == nil {
		return nil
	}
	raw, ct, ok := c.Manifest(rc.name, digest)
	if !ok || digestOf(raw) != digest {
		return nil
	}
	m, err := parseManifest(raw, ct)
	if err != nil {
		return nil
	}
	m.digest = digest
	return m
}

// resolveCached resolves tag with one HEAD and reads its manifest from
// the cache; nil when the cache cannot answer (then the caller GETs). A
// HEAD's digest is the registry's Docker-Content-Digest header, not the
// hash of a body, so it is taken only when it is the very digest the tag
// had when its manifest was last read whole: a tag that moved, or a
// header that lies, is read whole again, and every digest in a listing
// stays the hash of what the registry serves.
func (l *lister) resolveCached(ctx context.Context, tag string) (*manifest, error) {
	c := l.c.opts.cache
	if c == nil || !l.knows {
		return nil, nil
	}
	last, ok := c.TagDigest(l.rc.name, tag)
	if !ok {
		return nil, nil
	}
	resp, err := l.rc.do(ctx, "HEAD", "manifests/"+tag, manifestAccept, 0, 200, 404)
	if err != nil {
		return nil, fmt.Errorf("resolving tag %s:%s: %w", l.rc.name, tag, err)
	}
	if resp.status == 404 || resp.header.Get("Docker-Content-Digest") != last {
		return nil, nil
	}
	return l.rc.cachedManifest(last), nil
}

// RawManifest returns the bytes and content type of repo's manifest
// digest: from the cache when it has them, else with one GET (checked
// against the digest). Restore puts them back byte for byte.
func (c *Client) RawManifest(ctx context.Context, repo, digest string) ([]byte, string, error) {
	rc, err := c.repoTransport(ctx, repo)
	if err != nil {
		return nil, "", fmt.Errorf("reading %s@%s: %w", repo, digest, err)
	}
	if cache := c.opts.cache; cache != nil {
		if raw, ct, ok := cache.Manifest(repo, digest); ok && digestOf(raw) == digest {
			return raw, ct, nil
		}
	}
	resp, err := rc.do(ctx, "GET", "manifests/"+digest, manifestAccept, maxManifestBytes, 200)
	if err != nil {
		return nil, "", fmt.Errorf("reading %s@%s: %w", repo, digest, err)
	}
	if digestOf(resp.body) != digest {
		return nil, "", fmt.Errorf("verifying %s@%s: content has digest %s", repo, digest, digestOf(resp.body))
	}
	return resp.body, resp.header.Get("Content-Type"), nil
}
