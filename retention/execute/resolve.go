package execute

import (
	"context"
	"errors"
	"fmt"
)

// errHeaderLies: the registry's Docker-Content-Digest for a tag names a
// manifest other than the one it serves.
var errHeaderLies = errors.New("the registry's Docker-Content-Digest header disagrees with the hash of the manifest it serves")

// resolve returns the digest tag points at now by the rule the plan's
// listing uses: the hash of the manifest the registry serves. A tag the
// plan knows (planned is its digest) costs one HEAD while the header
// agrees with the plan; a header that disagrees is checked with a GET,
// and when the body still hashes to the planned digest the header lied:
// that fails with errHeaderLies, since nothing the registry says about
// digests can then be trusted. A tag the plan never saw ("" planned) is
// read with a GET, hashed.
func (r *repoRun) resolve(ctx context.Context, tag, planned string) (digest, mediaType string, err error) {
	if planned == "" {
		return r.reg.ReadTag(ctx, r.rp.Repository, tag)
	}
	d, mt, err := r.reg.ResolveTag(ctx, r.rp.Repository, tag)
	if err != nil || d == planned {
		return d, mt, err
	}
	body, mt, err := r.reg.ReadTag(ctx, r.rp.Repository, tag)
	if err != nil {
		return "", "", err
	}
	if body == planned {
		return "", "", fmt.Errorf("tag %s: %w (header %s, body %s)", tag, errHeaderLies, d, body)
	}
	return body, mt, nil
}
