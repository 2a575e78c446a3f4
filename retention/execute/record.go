package execute

import (
	"context"

	"github.com/regprune/regprune/retention"
)

// Recorder keeps each manifest as it was right before apply deletes it
// (its bytes and the tags it had), under the run's id, so that
// `regprune restore` can put it back. retention/state's Store is one.
type Recorder interface {
	RecordDeletion(runID, repo string, d retention.Deletion, raw []byte, contentType string) error
}

// recordOnce keeps d's manifest before its first request, with the tags
// the gate found on it just now (for a deletion by digest, every tag
// the DELETE takes; for tags alone, those tags), and reports whether it
// wrote a record. A manifest that cannot be read or kept is still
// deleted, with a warning: restore will say it cannot bring it back.
func (r *repoRun) recordOnce(ctx context.Context, d *retention.Deletion, onIt []string) bool {
	rec := r.opts.Recorder
	if rec == nil || r.opts.RunID == "" {
		return false
	}
	key := string(d.Kind) + " " + d.Digest
	r.mu.Lock()
	done := r.recorded[key]
	r.recorded[key] = true
	r.mu.Unlock()
	if done {
		return false
	}
	tags := d.Tags
	if d.Kind != retention.KindTag {
		tags = onIt
	}
	r.record(ctx, d, tags)
	return true
}

// record keeps d's manifest with tags, replacing what was kept of d.
func (r *repoRun) record(ctx context.Context, d *retention.Deletion, tags []string) {
	rec := r.opts.Recorder
	if rec == nil || r.opts.RunID == "" {
		return
	}
	kept := *d
	kept.Tags = tags
	f, err := r.manifest(ctx, d.Digest)
	if err == nil {
		err = rec.RecordDeletion(r.opts.RunID, r.rp.Repository, kept, f.raw, f.ct)
	}
	if err != nil {
		r.log.Warn("could not record the manifest before deleting it: restore cannot bring it back", "digest", d.Digest, "error", err)
	}
}
