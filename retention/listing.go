package retention

import (
	"sort"
	"time"

	"github.com/regprune/regprune/retention/manifest"
)

// Listing is what the registry side learned about one repository: every
// tag with the digest it points at, and what is known of each manifest.
// The planner decides on a Listing alone, without I/O.
type Listing struct {
	// Repository is the full name with the registry host, as in the config.
	Repository string
	// Aliases are other names of the repository that policies may match
	// (a local image's normalized name, docker.io/library/nginx for nginx).
	Aliases []string
	// Tags holds every tag of the repository, in listing order.
	Tags []Tag
	// Manifests describes manifests by digest: every digest a tag points
	// at, and the children of indexes where they were read.
	Manifests map[string]Manifest
	// Missing lists digests known not to exist in the repository (a
	// referrer tag's subject that answered 404).
	Missing map[string]bool
	// Unplaced holds, with the reason, subjects of attachment tags that
	// are not in the repository but may live in another one (cosign's
	// COSIGN_REPOSITORY): their attachments are kept, never orphans.
	Unplaced map[string]string
	// Notes are remarks on the listing that the report shows with the
	// repository (tags that vanished while it was read).
	Notes []string
	// Clock names the time in Manifest.Created for reasons: "created"
	// (default) or, for a local image, "arrived".
	Clock string
	// Untagged holds the manifests no tag points at, with their push
	// times, when the registry can list them (ListsUntagged): the GitHub
	// Packages API can, the OCI API cannot.
	Untagged      []Untagged
	ListsUntagged bool
	// ReportsPulls says the registry reports pull times (Tag.Pulled):
	// Docker Hub does; where it does not, pulledWithin keeps every tag it
	// selects (unknown is not old).
	ReportsPulls bool
	// Shallow says no manifest was read: media types, index children and
	// subjects are unknown. Such a listing may only decide that nothing
	// is deleted; before any deletion the planner reads the manifests
	// and decides again.
	Shallow bool
}

// TagNames returns the names of the listing's tags, in listing order.
func (l Listing) TagNames() []string {
	out := make([]string, 0, len(l.Tags))
	for _, t := range l.Tags {
		out = append(out, t.Name)
	}
	return out
}

// tagNames returns the names of the tags at idx, sorted.
func tagNames(l Listing, idx []int) []string {
	out := make([]string, 0, len(idx))
	for _, i := range idx {
		out = append(out, l.Tags[i].Name)
	}
	sort.Strings(out)
	return out
}

// Untagged is a manifest no tag points at.
type Untagged struct {
	Digest string
	// Pushed is when the registry received it; zero when unknown.
	Pushed time.Time
}

// Tag is one tag and the digest it pointed at when listed.
type Tag struct {
	Name   string
	Digest string
	// Pushed is when the registry received the tag's manifest (GitHub's
	// created_at, Docker Hub's tag_last_pushed); zero when the registry
	// does not say (the OCI API never does).
	Pushed time.Time
	// Pulled is when the tag was last pulled (Docker Hub's
	// tag_last_pulled); zero when never, or when the registry does not
	// say (see Listing.ReportsPulls).
	Pulled time.Time
}

// Manifest is what the planner needs to know of one manifest.
type Manifest struct {
	Digest    string
	MediaType string
	// Created is the plausible creation time; zero when unknown or when
	// no rule needed it (then TimeKnown says why).
	Created time.Time
	// CreatedSource names where Created came from (for reasons), such as
	// "annotation", "config" or "config label".
	CreatedSource string
	// Children are an index's child manifests, in the index's order.
	Children []string
	// Subject is the digest this manifest refers to (OCI subject field).
	Subject string
	// FirstSeen is when regprune first saw this digest in the repository
	// (from the state directory's cache); zero when unknown. Where the
	// creation time is unknown (reproducible builds write 1970), minAge
	// reads it: a digest first seen longer ago than minAge is at least
	// that old.
	FirstSeen time.Time
	// Placeholder marks the empty index regprune pushes onto a tag to
	// remove that tag alone on GHCR, which cannot delete a tag; one that
	// is still there was left by a run that failed before deleting it.
	Placeholder bool
}

// IsIndex reports whether the media type is an OCI index or a Docker
// manifest list.
func (m Manifest) IsIndex() bool { return manifest.IsIndexMediaType(m.MediaType) }
