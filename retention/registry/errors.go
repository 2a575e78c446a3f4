package registry

import "errors"

// The errors of providers that neither the planner nor the executor asks
// about (they are not the core's, as retention.ErrNotFound and the others
// the planner and the executor tell apart are): a provider wraps them
// where the cause is known, keeping its own details in the chain, so that
// its callers and tests find them with errors.Is.
var (
	// ErrRepositoryNotFound: the repository does not exist.
	ErrRepositoryNotFound = errors.New("repository does not exist")
	// ErrUnreachable: the registry could not be connected to.
	ErrUnreachable = errors.New("registry unreachable")
	// ErrTLS: the TLS connection failed: the certificate could not be
	// verified, or the registry answers plain HTTP on its https port.
	ErrTLS = errors.New("TLS failed")
	// ErrTruncated: a listing looked incomplete or inconsistent. Nothing
	// may be deleted on the strength of it.
	ErrTruncated = errors.New("listing looks truncated or inconsistent")
)
