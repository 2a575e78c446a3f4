package job

import (
	"context"
	"fmt"
	"slices"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/state"
)

// Pusher puts a manifest back: by digest, or under a tag.
type Pusher interface {
	PutManifest(ctx context.Context, repo, ref, mediaType string, body []byte) (string, error)
}

// Restored is what restore did with one recorded manifest.
type Restored struct {
	Repository string         `json:"repository"`
	Digest     string         `json:"digest"`
	Kind       retention.Kind `json:"kind"`
	Tags       []string       `json:"tags,omitempty"`
	// Status is restored, failed or (dry run) planned.
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// RestoreOptions narrow and shape a restore.
type RestoreOptions struct {
	// Repository, when set, restores that repository only.
	Repository string
	DryRun     bool
}

// Restore puts back what a recorded apply deleted: in the reverse of
// the order it deleted, so that children and images come back before
// the indexes that list them, each manifest by digest, byte for byte;
// then its tags. A manifest the registry refuses (its blobs collected
// since) is reported with the registry's answer, and the rest goes on.
func Restore(ctx context.Context, p Pusher, recorded []state.Deleted, o RestoreOptions) []Restored {
	var out []Restored
	for _, d := range slices.Backward(recorded) {
		if o.Repository != "" && retention.CanonicalName(o.Repository) != retention.CanonicalName(d.Repository) {
			continue
		}
		r := Restored{Repository: d.Repository, Digest: d.Digest, Kind: d.Kind, Tags: d.Tags}
		switch {
		case o.DryRun:
			r.Status = "planned"
		default:
			r.Status = "restored"
			if err := restoreOne(ctx, p, d); err != nil {
				r.Status, r.Error = "failed", err.Error()
			}
		}
		out = append(out, r)
	}
	return out
}

func restoreOne(ctx context.Context, p Pusher, d state.Deleted) error {
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted before it was restored")
	}
	if vr, ok := p.(versionRestorer); ok && d.Kind != retention.KindTag {
		handled, err := vr.RestoreVersion(ctx, d.Repository, d.Digest)
		if err != nil {
			return err
		}
		if handled {
			return putTags(ctx, p, d)
		}
	}
	if d.Kind != retention.KindTag {
		got, err := p.PutManifest(ctx, d.Repository, d.Digest, d.ContentType, d.Raw)
		if err != nil {
			return fmt.Errorf("putting back %s: %w", d.Digest, err)
		}
		if got != d.Digest {
			return fmt.Errorf("putting back %s: the registry stored %s", d.Digest, got)
		}
	}
	return putTags(ctx, p, d)
}

// versionRestorer brings a manifest back through a provider's own
// restore (GHCR's deleted versions); handled is false where there is
// none, and the manifest is pushed again.
type versionRestorer interface {
	RestoreVersion(ctx context.Context, repo, digest string) (handled bool, err error)
}

// putTags points d's tags at its manifest again.
func putTags(ctx context.Context, p Pusher, d state.Deleted) error {
	for _, t := range d.Tags {
		if _, err := p.PutManifest(ctx, d.Repository, t, d.ContentType, d.Raw); err != nil {
			return fmt.Errorf("putting back tag %s: %w", t, err)
		}
	}
	return nil
}
