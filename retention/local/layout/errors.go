package layout

import "errors"

// Sentinels wrapped by the errors a cache's plan carries.
var (
	// ErrNotLayout: the path has no oci-layout file or no index.json.
	ErrNotLayout = errors.New("not an OCI image layout")
	// ErrLocked: another process holds the layout's lock.
	ErrLocked = errors.New("locked by another process")
	// ErrChanged: index.json changed between reading and replacing it.
	ErrChanged = errors.New("index.json changed while regprune held the lock")
	// ErrSharedBlobs: the layout's blobs folder is a link or lies outside
	// it, so its blobs may be another layout's.
	ErrSharedBlobs = errors.New("blobs not owned by the layout")
)
