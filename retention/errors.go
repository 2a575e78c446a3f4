package retention

import (
	"errors"
	"time"
)

// The errors a registry provider's failures wrap, where the cause is
// known, so that the planner and the executor can tell them apart
// without knowing the provider: the OCI client and any other provider
// (GitHub Packages, Docker Hub) return errors for which errors.Is finds
// one of these, keeping their own details in the chain.
var (
	// ErrNotFound: the manifest, tag or digest does not exist.
	ErrNotFound = errors.New("not found")
	// ErrDenied: the credentials are missing, wrong, or lack the scope
	// (401, 403).
	ErrDenied = errors.New("access denied (check the credentials and their scope)")
	// ErrUnsupported: the registry refuses the operation (405, or the
	// code UNSUPPORTED): typically DELETE over the OCI API.
	ErrUnsupported = errors.New("operation not supported by the registry")
	// ErrTagsRemain: the registry refuses to delete a manifest by digest
	// while tags point at it (Google's GOOGLE_MANIFEST_DANGLING_TAG): its
	// tags must be deleted first.
	ErrTagsRemain = errors.New("the registry refuses to delete a manifest while tags point at it")
	// ErrReferenced: the registry refuses to delete a manifest that it
	// says is still referenced (Docker Hub's 403 for the child of a
	// multi-arch image). A deletion that follows a parent is then
	// skipped with the registry's message: the manifest stays.
	ErrReferenced = errors.New("the registry says the manifest is still referenced")
	// ErrUnnamedTags: a provider's own listing shows tags on a manifest
	// that the deletion it was asked for does not name (the gate did not
	// check them there): nothing was sent, and the manifest stays.
	ErrUnnamedTags = errors.New("tags the deletion does not name point at the manifest")
	// ErrRateLimited: the registry kept asking to wait (429) beyond what
	// the client is willing to.
	ErrRateLimited = errors.New("rate limited by the registry")
)

// SendAgainError is a request that changes the registry (a DELETE, a
// PUT) which failed in a way worth trying again (429, 5xx, a dropped
// connection) and which the transport did not resend: the executor
// passes the deletion through its gate again, after After (the wait the
// registry asked for, within the cap; 0 when it named none), and sends
// it once more.
type SendAgainError struct {
	Err   error
	After time.Duration
}

func (e *SendAgainError) Error() string { return e.Err.Error() }
func (e *SendAgainError) Unwrap() error { return e.Err }
