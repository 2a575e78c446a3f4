package retention

// Media types and annotations the core reads.
const (
	MediaTypeOCIIndex       = "application/vnd.oci.image.index.v1+json"
	MediaTypeDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
	MediaTypeOCIManifest    = "application/vnd.oci.image.manifest.v1+json"
	MediaTypeDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	AnnotationCreated       = "org.opencontainers.image.created"
	AnnotationRefName       = "org.opencontainers.image.ref.name"
)

// IsIndexMediaType reports whether mt lists other manifests.
func IsIndexMediaType(mt string) bool {
	return mt == MediaTypeOCIIndex || mt == MediaTypeDockerList
}
