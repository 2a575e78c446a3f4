// Package registry is everything of regprune that talks to a registry
// over the OCI distribution API: listing repositories and tags, resolving
// tags to digests, reading creation times, and deleting.
//
// One Client serves a whole run. It authenticates once per repository
// (one go-containerregistry transport.Wrapper per repository, reused for
// every request), bounds all requests in flight with one semaphore, and
// retries in exactly one place: go-retryablehttp under the auth layer,
// with go-containerregistry's own retry never engaged (a Wrapper gets no
// retry layer added). Errors keep the registry's *transport.Error and
// wrap the sentinels of errors.go.
package oci
