package oci

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	godigest "github.com/opencontainers/go-digest"

	mf "github.com/regprune/regprune/retention/manifest"
)

// created returns the creation time of m (mf.CreationTime),
// computed once per digest; children and configs are fetched only as the
// rule needs them, each once.
func (l *lister) created(ctx context.Context, m *manifest, depth int) (mf.Created, error) {
	return l.times.do(ctx, m.digest, func() (mf.Created, error) {
		ct, err := mf.CreationTime(ctx, l.now, timeSource{l, m}, m.facts(), depth)
		if err == nil && ct.Time.IsZero() && depth == 0 {
			l.c.opts.logger.DebugContext(ctx, "creation time unknown", "repository", l.rc.name, "digest", m.digest, "reason", "no plausible creation time")
		}
		if err != nil {
			err = fmt.Errorf("dating %s: %w", m.digest, err)
		}
		return ct, err
	})
}

// facts is what the creation-time rule reads of m.
func (m *manifest) facts() mf.Facts {
	f := mf.Facts{Annotation: m.annotations[mf.AnnotationCreated], Index: m.isIndex()}
	for _, ch := range m.children {
		var os, arch string
		if ch.Platform != nil {
			os, arch = ch.Platform.OS, ch.Platform.Architecture
		}
		f.Children = append(f.Children, mf.ChildFacts{
			Digest: ch.Digest.String(), MediaType: string(ch.MediaType),
			Attestation: mf.IsAttestation(ch.Annotations, os, arch),
		})
	}
	if m.config != nil {
		f.Config = m.config.Digest.String()
	}
	return f
}

// timeSource reads the children and the config of m for the
// creation-time rule.
type timeSource struct {
	l *lister
	m *manifest
}

var _ mf.TimeSource = timeSource{}

func (s timeSource) ChildTime(ctx context.Context, c mf.ChildFacts, depth int) (mf.Created, bool, error) {
	child, err := s.l.byDigest(ctx, c.Digest)
	if errors.Is(err, ErrNotFound) {
		s.l.c.opts.logger.DebugContext(ctx, "index child missing", "repository", s.l.rc.name, "digest", c.Digest, "reason", err.Error())
		return mf.Created{}, false, nil
	}
	if err != nil {
		return mf.Created{}, false, err
	}
	ct, err := s.l.created(ctx, child, depth)
	return ct, err == nil, err
}

func (s timeSource) Config(ctx context.Context, digest string) (mf.ConfigFacts, bool, error) {
	cfg, err := s.l.config(ctx, *s.m.config) // the rule asks for m's config only

	if errors.Is(err, ErrNotFound) {
		s.l.c.opts.logger.DebugContext(ctx, "config blob missing", "repository", s.l.rc.name, "digest", digest, "reason", err.Error())
		return mf.ConfigFacts{}, false, nil
	}
	return cfg, err == nil, err
}

// config reads a config blob once per config digest, from the
// descriptor's embedded data when present, else from the cache, else with
// one GET. The cache holds the blob's bytes, not what was made of them:
// what it answers is used only when it hashes to the digest, so that an
// edited state directory cannot change a creation time; a cached blob
// that does not is read again, with a warning.
func (l *lister) config(ctx context.Context, desc v1.Descriptor) (mf.ConfigFacts, error) {
	digest := desc.Digest.String()
	return l.configs.do(ctx, digest, func() (mf.ConfigFacts, error) {
		cache := l.c.opts.cache
		if cache != nil && !hashesTo(desc.Data, digest) {
			if raw, ok := cache.ConfigBlob(l.rc.name, digest); ok {
				if hashesTo(raw, digest) {
					return l.configFacts(ctx, digest, raw), nil
				}
				l.rc.distrust(ctx, digest, "config blob")
			}
		}
		raw, err := l.readConfig(ctx, desc)
		if err != nil {
			return mf.ConfigFacts{}, err
		}
		if cache != nil && len(raw) <= maxCachedConfig && hashesTo(raw, digest) {
			cache.PutConfigBlob(l.rc.name, digest, raw)
		}
		return l.configFacts(ctx, digest, raw), nil
	})
}

// maxCachedConfig bounds the config blobs the cache keeps: an image's is
// a few KiB, and a larger one is read again each run rather than make
// the state directory grow by it.
const maxCachedConfig = 1 << 20

// readConfig reads a config blob, from the descriptor's embedded data
// when it hashes to the digest, else with one GET (checked when sha256).
func (l *lister) readConfig(ctx context.Context, desc v1.Descriptor) ([]byte, error) {
	digest := desc.Digest.String()
	if hashesTo(desc.Data, digest) {
		return desc.Data, nil
	}
	resp, err := l.rc.do(ctx, http.MethodGet, "blobs/"+digest, nil, maxJSONBytes, http.StatusOK)
	if err != nil {
		return nil, err
	}
	if desc.Digest.Algorithm == "sha256" && digestOf(resp.body) != digest {
		return nil, fmt.Errorf("verifying config blob %s: content has digest %s", digest, digestOf(resp.body))
	}
	return resp.body, nil
}

// configFacts is what a config blob says of creation.
func (l *lister) configFacts(ctx context.Context, digest string, raw []byte) mf.ConfigFacts {
	cfg, err := mf.ParseConfigTimes(raw)
	if err != nil {
		// An odd config (an artifact's YAML, a bare array) dates
		// nothing: the manifest's time is unknown, so it is kept, and
		// the rest of the repository is planned.
		l.c.opts.logger.DebugContext(ctx, "config blob says nothing about creation", "repository", l.rc.name, "digest", digest, "reason", err.Error())
		return mf.ConfigFacts{}
	}
	return cfg
}

// hashesTo reports whether b hashes to d, in d's own algorithm.
func hashesTo(b []byte, d string) bool {
	want, err := godigest.Parse(d)
	return b != nil && err == nil && want.Algorithm().FromBytes(b) == want
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}
