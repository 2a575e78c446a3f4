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

// RawReader reads a manifest's bytes; the registry client is one.
type RawReader interface {
	RawManifest(ctx context.Context, repo, digest string) ([]byte, string, error)
}

// record keeps d's manifest before its DELETE. A manifest that cannot be
// read or kept is still deleted, with a warning: restore will say it
// cannot bring it back.
func (r *repoRun) record(ctx context.Context, d *retention.Deletion) {
	rec := r.opts.Recorder
	reader, ok := r.reg.(RawReader)
	if rec == nil || !ok || r.opts.RunID == "" {
		return
	}
	raw, ct, err := reader.RawManifest(ctx, r.rp.Repository, d.Digest)
	if err == nil {
		err = rec.RecordDeletion(r.opts.RunID, r.rp.Repository, *d, raw, ct)
	}
	if err != nil {
		r.log.Warn("could not record the manifest before deleting it: restore cannot bring it back", "digest", d.Digest, "error", err)
	}
}
