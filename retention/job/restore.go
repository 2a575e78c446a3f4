package job

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/state"
)

// Pusher puts a manifest back, by digest or under a tag, and reads what
// is there now, so that restore never moves a tag that points at
// something else since.
type Pusher interface {
	PutManifest(ctx context.Context, repo, ref, mediaType string, body []byte) (string, error)
	ReadTag(ctx context.Context, repo, tag string) (digest, mediaType string, err error)
	Exists(ctx context.Context, repo, digest string) (bool, error)
}

// Restore statuses.
const (
	// RestoreRestored: the manifest and its tags are back.
	RestoreRestored = "restored"
	// RestorePresent: the manifest and its tags were there already
	// (its deletion failed, or an earlier restore brought it back).
	RestorePresent = "present"
	// RestorePartial: the manifest is back, but a tag it had points at
	// another manifest now and was left alone.
	RestorePartial = "partial"
	// RestoreFailed: the registry refused, or could not be read.
	RestoreFailed = "failed"
	// RestorePlanned: a dry run would restore it.
	RestorePlanned = "planned"
)

// Restored is what restore did with one recorded manifest.
type Restored struct {
	Repository string         `json:"repository"`
	Digest     string         `json:"digest"`
	Kind       retention.Kind `json:"kind"`
	Tags       []string       `json:"tags,omitempty"`
	// Status is restored, present, partial, failed or (dry run) planned.
	Status string `json:"status"`
	// Moved are the tags left alone because they point at another
	// manifest now ("v1 (now sha256:...)").
	Moved []string `json:"moved,omitempty"`
	Error string   `json:"error,omitempty"`
}

// RestoreOptions narrow and shape a restore.
type RestoreOptions struct {
	// Repository, when set, restores that repository only.
	Repository string
	// DryRun reads what is there and says what would be done, changing
	// nothing.
	DryRun bool
}

// Restore puts back what a recorded apply deleted: in the reverse of
// the order it deleted, so that children and images come back before
// the indexes that list them, each manifest by digest, byte for byte;
// then its tags. A manifest still there is not pushed again, and a tag
// that points at another manifest now is left alone and reported
// (partial): restore undoes the run, not what was pushed since. A
// manifest the registry refuses (its blobs collected since) is reported
// with the registry's answer, and the rest goes on.
func Restore(ctx context.Context, p Pusher, recorded []state.Deleted, o RestoreOptions) []Restored {
	var out []Restored
	for _, d := range slices.Backward(recorded) {
		if o.Repository != "" && retention.CanonicalName(o.Repository) != retention.CanonicalName(d.Repository) {
			continue
		}
		r := Restored{Repository: d.Repository, Digest: d.Digest, Kind: d.Kind, Tags: d.Tags}
		if err := restoreOne(ctx, p, d, o.DryRun, &r); err != nil {
			r.Status, r.Error = RestoreFailed, err.Error()
		}
		out = append(out, r)
	}
	return out
}

// CheckRepository says whether the recorded run deleted anything in
// repo (in any spelling of its host, as Restore compares); when not, the
// error wraps ErrNotInRun and names the run's repositories.
func CheckRepository(recorded []state.Deleted, repo string) error {
	var names []string
	for _, d := range recorded {
		if retention.CanonicalName(d.Repository) == retention.CanonicalName(repo) {
			return nil
		}
		names = append(names, d.Repository)
	}
	slices.Sort(names)
	return fmt.Errorf("%s: %w (it deleted in %s)", repo, ErrNotInRun, strings.Join(slices.Compact(names), ", "))
}

// restoreOne brings back one manifest and its tags, setting r's status.
func restoreOne(ctx context.Context, p Pusher, d state.Deleted, dry bool, r *Restored) error {
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted before it was restored")
	}
	// The state directory is a file anyone with access can edit: bytes
	// that are not the recorded manifest are never pushed, by digest or
	// under a tag.
	want, err := digest.Parse(d.Digest)
	if err != nil {
		return fmt.Errorf("the recorded digest %q is not a digest: the state directory's record is damaged; nothing pushed", d.Digest)
	}
	if got := want.Algorithm().FromBytes(d.Raw); got != want {
		return fmt.Errorf("the recorded bytes hash to %s, not %s: the state directory's record is damaged; nothing pushed", got, want)
	}
	pushed := false
	if d.Kind != retention.KindTag {
		there, err := p.Exists(ctx, d.Repository, d.Digest)
		if err != nil {
			return fmt.Errorf("checking whether %s is there: %w", d.Digest, err)
		}
		if !there {
			if !dry {
				if err := putManifest(ctx, p, d); err != nil {
					return err
				}
			}
			pushed = true
		}
	}
	putTags, moved, err := tagsToPut(ctx, p, d)
	if err != nil {
		return err
	}
	if !dry {
		for _, t := range putTags {
			if _, err := p.PutManifest(ctx, d.Repository, t, d.ContentType, d.Raw); err != nil {
				return fmt.Errorf("putting back tag %s: %w", t, err)
			}
		}
	}
	r.Moved = moved
	switch {
	case len(moved) > 0:
		r.Status = RestorePartial
		r.Error = fmt.Sprintf("tag(s) %s point at another manifest now; left alone", strings.Join(moved, ", "))
	case !pushed && len(putTags) == 0:
		r.Status = RestorePresent
	case dry:
		r.Status = RestorePlanned
	default:
		r.Status = RestoreRestored
	}
	return nil
}

// putManifest pushes the manifest back by digest, through the provider's
// own restore where it has one.
func putManifest(ctx context.Context, p Pusher, d state.Deleted) error {
	if vr, ok := p.(versionRestorer); ok {
		handled, err := vr.RestoreVersion(ctx, d.Repository, d.Digest)
		if err != nil || handled {
			return err
		}
	}
	got, err := p.PutManifest(ctx, d.Repository, d.Digest, d.ContentType, d.Raw)
	if err != nil {
		return fmt.Errorf("putting back %s: %w", d.Digest, err)
	}
	if got != d.Digest {
		return fmt.Errorf("putting back %s: the registry stored %s", d.Digest, got)
	}
	return nil
}

// tagsToPut sorts d's tags: those that are gone (to put back) and those
// that point at another manifest now (moved, left alone). A tag already
// on d is neither.
func tagsToPut(ctx context.Context, p Pusher, d state.Deleted) (put, moved []string, err error) {
	for _, t := range d.Tags {
		cur, _, err := p.ReadTag(ctx, d.Repository, t) // the body's hash: no header is trusted
		switch {
		case errors.Is(err, retention.ErrNotFound):
			put = append(put, t)
		case err != nil:
			return nil, nil, fmt.Errorf("reading tag %s: %w", t, err)
		case cur != d.Digest:
			moved = append(moved, t+" (now "+cur+")")
		}
	}
	return put, moved, nil
}

// versionRestorer brings a manifest back through a provider's own
// restore (GHCR's deleted versions); handled is false where there is
// none, and the manifest is pushed again.
type versionRestorer interface {
	RestoreVersion(ctx context.Context, repo, digest string) (handled bool, err error)
}

// RestoreCounts count a restore's manifests by status.
type RestoreCounts struct {
	// Failed, Partial and Present count the statuses RestoreFailed,
	// RestorePartial and RestorePresent.
	Failed, Partial, Present int
}

// CountRestored counts out by status.
func CountRestored(out []Restored) RestoreCounts {
	var c RestoreCounts
	for _, r := range out {
		switch r.Status {
		case RestoreFailed:
			c.Failed++
		case RestorePartial:
			c.Partial++
		case RestorePresent:
			c.Present++
		}
	}
	return c
}

// Unrestored is the error of a restore that left manifests out, or put
// some back only in part (a tag moved since); nil when all came back.
func Unrestored(out []Restored) error {
	if c := CountRestored(out); c.Failed > 0 || c.Partial > 0 {
		return fmt.Errorf("%d of %d manifests could not be restored, %d only in part (a tag moved since)", c.Failed, len(out), c.Partial)
	}
	return nil
}
