package oci

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Cache keeps what was read from manifests, by repository and digest,
// across runs: a digest's content never changes, so an entry is never
// stale. retention/state's Store is one. With a cache, a repository seen
// before has its tags resolved with HEAD (no body), and no manifest or
// config it has cached is read again.
//
// What a cache answers can decide a deletion, and a cache is a file
// anyone with access can edit: the client uses only content that hashes
// to the digest it is asked under (a manifest, a config blob), and reads
// anything else again. First-seen times are the one fact nothing can
// check; a tag's last digest is used only when the registry names it.
type Cache interface {
	Manifest(repo, digest string) (raw []byte, contentType string, ok bool)
	PutManifest(repo, digest string, raw []byte, contentType string)
	// ConfigBlob and PutConfigBlob keep a config blob's bytes (small),
	// by its digest: the creation time is then worked out again from
	// them without a request, with the same result.
	ConfigBlob(repo, digest string) ([]byte, bool)
	PutConfigBlob(repo, digest string, raw []byte)
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
func (rc *repoConn) cachedManifest(ctx context.Context, digest string) *manifest {
	c := rc.c.opts.cache
	if c == nil {
		return nil
	}
	raw, ct, ok := c.Manifest(rc.name, digest)
	if !ok {
		return nil
	}
	if digestOf(raw) != digest {
		rc.distrust(ctx, digest, "manifest")
		return nil
	}
	m, err := parseManifest(raw, ct)
	if err != nil {
		return nil
	}
	m.digest = digest
	return m
}

// distrust warns that the cache's bytes of digest are not that content:
// the state directory was damaged or edited. They are read again.
func (rc *repoConn) distrust(ctx context.Context, digest, what string) {
	rc.c.opts.logger.WarnContext(ctx, "the state directory's copy of a "+what+" does not hash to its digest: ignored, read from the registry again",
		"repository", rc.name, "digest", digest)
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
	return l.rc.cachedManifest(ctx, last), nil
}

// Cached reports whether RawManifest answers repo's manifest digest from
// the cache, without a request: the cache holds bytes that hash to it.
func (c *Client) Cached(repo, digest string) bool {
	cache := c.opts.cache
	if cache == nil {
		return false
	}
	raw, _, ok := cache.Manifest(repo, digest)
	return ok && digestOf(raw) == digest
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
		if raw, ct, ok := cache.Manifest(repo, digest); ok {
			if digestOf(raw) == digest {
				return raw, ct, nil
			}
			rc.distrust(ctx, digest, "manifest")
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
