package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/regprune/regprune/retention"
)

// createdAt is a manifest's creation time and where it came from; zero
// when no source had a plausible one.
type createdAt struct {
	t      time.Time
	source string
}

// configTime is what a config blob says about creation.
type configTime struct {
	created string // "created"
	label   string // label org.opencontainers.image.created
}

// created returns the creation time of m, computed once per digest: the
// first plausible of the manifest's created annotation, the config's
// created, the config's created label; for an index without the
// annotation, that of its first child (in the index's order) that has
// one, fetching children one at a time until found. Attestation
// manifests are not children that count: they describe an image, they
// were not built as one (BuildKit writes no time in them, or any), and
// skipping them saves two requests each.
func (l *lister) created(ctx context.Context, m *manifest, depth int) (createdAt, error) {
	return l.times.do(ctx, m.digest, func() (createdAt, error) {
		ct, err := l.compute(ctx, m, depth)
		if err == nil && ct.t.IsZero() && depth == 0 {
			l.c.opts.logger.DebugContext(ctx, "creation time unknown", "repository", l.rc.name, "digest", m.digest, "reason", "no plausible creation time")
		}
		return ct, err
	})
}

func (l *lister) compute(ctx context.Context, m *manifest, depth int) (createdAt, error) {
	if t, ok := l.plausible(m.annotations[retention.AnnotationCreated]); ok {
		return createdAt{t, "annotation"}, nil
	}
	if m.isIndex() {
		if depth >= maxIndexDepth {
			return createdAt{}, nil
		}
		for _, ch := range m.children {
			if isAttestation(ch) {
				continue
			}
			child, err := l.byDigest(ctx, ch.Digest.String())
			if errors.Is(err, ErrNotFound) {
				l.c.opts.logger.DebugContext(ctx, "index child missing", "repository", l.rc.name, "digest", ch.Digest.String(), "reason", err.Error())
				continue
			}
			if err != nil {
				return createdAt{}, fmt.Errorf("reading child %s of %s: %w", ch.Digest, m.digest, err)
			}
			ct, err := l.created(ctx, child, depth+1)
			if err != nil {
				return createdAt{}, err
			}
			if !ct.t.IsZero() {
				return createdAt{ct.t, "child " + child.digest + " " + ct.source}, nil
			}
		}
		return createdAt{}, nil
	}
	if m.config == nil {
		return createdAt{}, nil
	}
	cfg, err := l.config(ctx, *m.config)
	if errors.Is(err, ErrNotFound) {
		l.c.opts.logger.DebugContext(ctx, "config blob missing", "repository", l.rc.name, "digest", m.digest, "reason", err.Error())
		return createdAt{}, nil
	}
	if err != nil {
		return createdAt{}, fmt.Errorf("reading config of %s: %w", m.digest, err)
	}
	if t, ok := l.plausible(cfg.created); ok {
		return createdAt{t, "config"}, nil
	}
	if t, ok := l.plausible(cfg.label); ok {
		return createdAt{t, "config label"}, nil
	}
	return createdAt{}, nil
}

// config reads a config blob once per config digest, from the
// descriptor's embedded data when present, else with one GET.
func (l *lister) config(ctx context.Context, desc v1.Descriptor) (configTime, error) {
	digest := desc.Digest.String()
	return l.configs.do(ctx, digest, func() (configTime, error) {
		body := desc.Data
		if body == nil || digestOf(body) != digest {
			resp, err := l.rc.do(ctx, http.MethodGet, "blobs/"+digest, nil, maxJSONBytes, http.StatusOK)
			if err != nil {
				return configTime{}, err
			}
			body = resp.body
			if desc.Digest.Algorithm == "sha256" && digestOf(body) != digest {
				return configTime{}, fmt.Errorf("verifying config blob %s: content has digest %s", digest, digestOf(body))
			}
		}
		var raw struct {
			Created string `json:"created"`
			Config  struct {
				Labels map[string]string `json:"Labels"`
			} `json:"config"`
		}
		if err := json.Unmarshal(body, &raw); err != nil {
			return configTime{}, fmt.Errorf("parsing config blob %s: %w", digest, err)
		}
		return configTime{created: raw.Created, label: raw.Config.Labels[retention.AnnotationCreated]}, nil
	})
}

// plausible parses an RFC 3339 time and reports whether it is plausible.
func (l *lister) plausible(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || !retention.Plausible(t, l.now) {
		return time.Time{}, false
	}
	return t, true
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Docker's marking of the attestation manifests BuildKit adds to an
// index, next to the platform unknown/unknown.
const (
	annotationReferenceType = "vnd.docker.reference.type"
	referenceTypeAttest     = "attestation-manifest"
)

// isAttestation reports whether an index child is an attestation
// manifest rather than an image of the index.
func isAttestation(d v1.Descriptor) bool {
	if d.Annotations[annotationReferenceType] == referenceTypeAttest {
		return true
	}
	return d.Platform != nil && d.Platform.OS == "unknown" && d.Platform.Architecture == "unknown"
}
