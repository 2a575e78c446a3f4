// Package manifest holds what regprune reads of a manifest, the same for
// registries and OCI layouts: the media types and annotations it knows,
// the rule for a manifest's creation time (CreationTime, with its
// plausibility cutoffs and the lenient reading of config blobs), BuildKit's
// attestation marking, and cosign's tag scheme for attachments. It is
// pure: no I/O of its own (TimeSource reads for it), no net/http.
//
// The core decides on what it yields (retention.Manifest), the OCI
// client and the layout backend read manifests with it.
package manifest
