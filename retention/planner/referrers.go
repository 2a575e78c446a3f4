package planner

import (
	"context"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/manifest"
)

// ReferrerLister is implemented by registry clients that can query the
// OCI referrers API. supported is false on registries without it; the tag
// scheme (sha256-<hex>, .sig, .att, .sbom) is handled by Decide.
type ReferrerLister interface {
	Referrers(ctx context.Context, repo, digest string) (refs []v1.Descriptor, supported bool, err error)
}

// maxReferrerDepth bounds how far referrers of referrers are followed (a
// signature of an SBOM of an image is depth 2).
const maxReferrerDepth = 4

// addReferrers appends, after the subjects they follow, the referrers of
// every manifest the plan deletes by digest: signatures, attestations and
// SBOMs found through the referrers API. A kept image's referrers are
// never touched, and neither is a referrer that something staying still
// reaches (a tag, or a kept index that lists it): the listing says which.
// If the API answers with an error the repository fails: deleting the
// subjects would orphan their referrers.
func addReferrers(ctx context.Context, rl ReferrerLister, l retention.Listing, rp *retention.RepoPlan) error {
	known := staying(l, rp)
	for _, td := range rp.Tags {
		known[td.Digest] = true
	}
	var subjects []string
	for _, d := range rp.Deletions {
		known[d.Digest] = true
		if d.Kind != retention.KindTag {
			subjects = append(subjects, d.Digest)
		}
	}
	for depth := 0; depth < maxReferrerDepth && len(subjects) > 0; depth++ {
		var next []string
		for _, s := range subjects {
			refs, supported, err := rl.Referrers(ctx, rp.Repository, s)
			if err != nil {
				return fmt.Errorf("listing referrers of %s, which the plan deletes: %w", s, err)
			}
			if !supported {
				return nil // one probe per repository is enough
			}
			for _, ref := range refs {
				d := ref.Digest.String()
				if known[d] {
					continue
				}
				known[d] = true
				why := "referrer of deleted " + s
				if ref.ArtifactType != "" {
					why += " (" + ref.ArtifactType + ")"
				}
				rp.Deletions = append(rp.Deletions, retention.Deletion{Digest: d, Tags: []string{}, Kind: retention.KindReferrer, Parent: s, Reason: why})
				next = append(next, d)
			}
		}
		subjects = next
	}
	return nil
}

// staying returns every manifest the plan leaves in place that the
// listing can see: the digests of tags not deleted by digest, and the
// children of those that are indexes, recursively.
func staying(l retention.Listing, rp *retention.RepoPlan) map[string]bool {
	gone := map[string]bool{}
	for _, d := range rp.Deletions {
		if d.Kind != retention.KindTag {
			gone[d.Digest] = true
		}
	}
	stay := map[string]bool{}
	var walk func(digest string, depth int)
	walk = func(digest string, depth int) {
		if stay[digest] || gone[digest] || depth > manifest.MaxIndexDepth {
			return
		}
		stay[digest] = true
		for _, c := range l.Manifests[digest].Children {
			walk(c, depth+1)
		}
	}
	for _, t := range l.Tags {
		walk(t.Digest, 0)
	}
	return stay
}
