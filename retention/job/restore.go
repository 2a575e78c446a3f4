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
	// Skip says why a repository cannot be restored this way ("" when
	// it can): GHCR's versions come back through its own restore call.
	Skip func(repo string) string
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
		switch why := skip(o, d.Repository); {
		case why != "":
			r.Status, r.Error = "failed", why
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

func skip(o RestoreOptions, repo string) string {
	if o.Skip == nil {
		return ""
	}
	return o.Skip(repo)
}

func restoreOne(ctx context.Context, p Pusher, d state.Deleted) error {
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted before it was restored")
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
	for _, t := range d.Tags {
		if _, err := p.PutManifest(ctx, d.Repository, t, d.ContentType, d.Raw); err != nil {
			return fmt.Errorf("putting back tag %s: %w", t, err)
		}
	}
	return nil
}
