package manifest

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// MaxIndexDepth bounds how deep indexes of indexes are followed.
const MaxIndexDepth = 8

// Created is a manifest's creation time and where it came from
// ("annotation", "config", "config label", "child <digest> <source>");
// zero when no source had a plausible one.
type Created struct {
	Time   time.Time
	Source string
}

// Facts is what the creation-time rule reads of one manifest.
type Facts struct {
	// Annotation is its org.opencontainers.image.created annotation.
	Annotation string
	// Index marks an image index (or Docker manifest list).
	Index bool
	// Children are an index's manifests, in the index's order.
	Children []ChildFacts
	// Config is an image's config digest; "" when it has none.
	Config string
}

// ChildFacts names one child of an index.
type ChildFacts struct {
	Digest, MediaType string
	// Attestation marks an attestation manifest (BuildKit's, with the
	// annotation vnd.docker.reference.type or the platform
	// unknown/unknown): it describes an image, it is not one, and does
	// not date the index.
	Attestation bool
}

// ConfigFacts is what a config blob says about creation.
type ConfigFacts struct {
	Created string // its "created"
	Label   string // its label org.opencontainers.image.created
}

// TimeSource gives the creation-time rule what it reads: the times of an
// index's children (by applying CreationTime to them, usually cached) and
// config blobs. ok is false for content the store does not have; the
// rule then goes on without it.
type TimeSource interface {
	ChildTime(ctx context.Context, c ChildFacts, depth int) (Created, bool, error)
	Config(ctx context.Context, digest string) (ConfigFacts, bool, error)
}

// CreationTime applies the rule for a manifest's creation time, the same
// for registries and OCI layouts: the first plausible (see Plausible) of
// its created annotation, its config's created and its config's created
// label; for an index without the annotation, that of its first child
// (in the index's order, attestations aside) that has one. depth is the
// manifest's depth under the manifest whose time is asked.
func CreationTime(ctx context.Context, now time.Time, src TimeSource, m Facts, depth int) (Created, error) {
	if t, ok := PlausibleTime(m.Annotation, now); ok {
		return Created{t, "annotation"}, nil
	}
	if m.Index {
		if depth >= MaxIndexDepth {
			return Created{}, nil
		}
		for _, c := range m.Children {
			if c.Attestation {
				continue
			}
			ct, ok, err := src.ChildTime(ctx, c, depth+1)
			if err != nil {
				return Created{}, fmt.Errorf("reading child %s: %w", c.Digest, err)
			}
			if ok && !ct.Time.IsZero() {
				return Created{ct.Time, "child " + c.Digest + " " + ct.Source}, nil
			}
		}
		return Created{}, nil
	}
	if m.Config == "" {
		return Created{}, nil
	}
	cfg, ok, err := src.Config(ctx, m.Config)
	if err != nil {
		return Created{}, fmt.Errorf("reading config %s: %w", m.Config, err)
	}
	if !ok {
		return Created{}, nil
	}
	if t, ok := PlausibleTime(cfg.Created, now); ok {
		return Created{t, "config"}, nil
	}
	if t, ok := PlausibleTime(cfg.Label, now); ok {
		return Created{t, "config label"}, nil
	}
	return Created{}, nil
}

// PlausibleTime parses an RFC 3339 time and reports whether it is a
// plausible creation time at now.
func PlausibleTime(s string, now time.Time) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || !Plausible(t, now) {
		return time.Time{}, false
	}
	return t, true
}

// ParseConfigTimes reads the creation fields of an image config blob. It
// is lenient about everything but the top level: ORAS artifacts and other
// tools put YAML, arrays, numbers and objects where Docker puts strings,
// and a field of another type says nothing (the time is then unknown, so
// kept), rather than failing the repository. A blob that is not a JSON
// object is an error; callers treat it as a config that says nothing.
func ParseConfigTimes(b []byte) (ConfigFacts, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil || top == nil {
		if err == nil {
			err = fmt.Errorf("null")
		}
		return ConfigFacts{}, fmt.Errorf("config is not a JSON object: %w", err)
	}
	var f ConfigFacts
	f.Created, _ = jsonString(top["created"])
	var cfg struct {
		Labels map[string]json.RawMessage `json:"Labels"`
	}
	if raw, ok := top["config"]; ok && json.Unmarshal(raw, &cfg) == nil {
		f.Label, _ = jsonString(cfg.Labels[AnnotationCreated])
	}
	return f, nil
}

// jsonString decodes raw when it is a JSON string.
func jsonString(raw json.RawMessage) (string, bool) {
	var s string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// Docker's marking of the attestation manifests BuildKit adds to an
// index, next to the platform unknown/unknown.
const (
	annotationReferenceType = "vnd.docker.reference.type"
	referenceTypeAttest     = "attestation-manifest"
)

// IsAttestation reports whether an index child, by its annotations and
// platform (os, architecture; empty when unset), is an attestation
// manifest rather than an image of the index.
func IsAttestation(annotations map[string]string, os, arch string) bool {
	return annotations[annotationReferenceType] == referenceTypeAttest || (os == "unknown" && arch == "unknown")
}

// earliestPlausible is the first creation time taken as real.
var earliestPlausible = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Plausible reports whether t can be a real creation time as seen at now:
// not before 2000-01-01 (reproducible builders write 1970 or 1980) and not
// more than a day in the future.
func Plausible(t, now time.Time) bool {
	if t.IsZero() || t.Before(earliestPlausible) {
		return false
	}
	return !t.After(now.Add(24 * time.Hour))
}
