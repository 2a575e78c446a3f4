package seed

import (
	"context"
	"fmt"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Kind says what an Entry pushes.
type Kind int

const (
	// KindImage pushes a fresh Image created at Entry.Created.
	KindImage Kind = iota
	// KindIndex pushes a fresh Index of Entry.Platforms created at
	// Entry.Created.
	KindIndex
	// KindSignature pushes a Signature of the manifest tag Of points at,
	// under SignatureTag of its digest (Entry.Tag, if set, overrides it).
	KindSignature
	// KindAlias puts Entry.Tag on the manifest tag Of points at.
	KindAlias
	// KindReferrer pushes a Referrer of the manifest tag Of points at, by
	// digest. Entry.Tag only names it in History's result; ArtifactType
	// defaults to application/vnd.example.sbom+json.
	KindReferrer
)

// Entry is one row of a repository's history.
type Entry struct {
	Tag     string
	Created time.Time
	Kind    Kind
	// Of names an earlier entry's tag (KindSignature, KindAlias,
	// KindReferrer).
	Of string
	// Platforms for KindIndex; default DefaultPlatforms.
	Platforms []string
	// ArtifactType for KindReferrer.
	ArtifactType string
	// Options are passed to the builder (Image, Index, Signature,
	// Referrer).
	Options []Option
}

// History pushes entries to repo ("host/repo") in order, so later entries
// win when they reuse a tag, and returns the digest each tag ended up on,
// keyed by tag (signature tags included; referrers by their Entry.Tag).
func History(ctx context.Context, repo string, entries []Entry, opts ...remote.Option) (map[string]string, error) {
	digests := map[string]string{}
	// descs remembers what each tag's manifest is, for subjects.
	descs := map[string]v1.Descriptor{}
	for i, e := range entries {
		var of v1.Descriptor
		if e.Kind == KindSignature || e.Kind == KindAlias || e.Kind == KindReferrer {
			d, ok := descs[e.Of]
			if !ok {
				return digests, fmt.Errorf("seeding entry %d (%q): of %q: no earlier entry has that tag", i, e.Tag, e.Of)
			}
			of = d
		}
		var (
			m   Pushable
			tag = e.Tag
			err error
		)
		switch e.Kind {
		case KindImage:
			m, err = Image(e.Created, e.Options...)
		case KindIndex:
			m, err = Index(e.Created, e.Platforms, e.Options...)
		case KindSignature:
			if tag == "" {
				tag = SignatureTag(of.Digest)
			}
			m, err = Signature(of.Digest, append([]Option{WithSignedRepository(repo)}, e.Options...)...)
		case KindAlias:
			if err := Tag(ctx, repo+":"+tag, of.Digest.String(), opts...); err != nil {
				return digests, fmt.Errorf("seeding entry %d (%q): %w", i, tag, err)
			}
			digests[tag], descs[tag] = of.Digest.String(), of
			continue
		case KindReferrer:
			at := e.ArtifactType
			if at == "" {
				at = "application/vnd.example.sbom+json"
			}
			m, err = Referrer(of, at, e.Options...)
		default:
			return digests, fmt.Errorf("seeding entry %d (%q): unknown kind %d", i, tag, e.Kind)
		}
		if err != nil {
			return digests, fmt.Errorf("seeding entry %d (%q): %w", i, tag, err)
		}
		if tag == "" {
			return digests, fmt.Errorf("seeding entry %d: no tag", i)
		}
		var d string
		if e.Kind == KindReferrer {
			d, err = PushByDigest(ctx, repo, m, opts...)
		} else {
			d, err = Push(ctx, repo+":"+tag, m, opts...)
		}
		if err != nil {
			return digests, fmt.Errorf("seeding entry %d (%q): %w", i, tag, err)
		}
		desc, err := Descriptor(m)
		if err != nil {
			return digests, fmt.Errorf("seeding entry %d (%q): %w", i, tag, err)
		}
		digests[tag], descs[tag] = d, desc
	}
	return digests, nil
}
