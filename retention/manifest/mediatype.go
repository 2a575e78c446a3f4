package manifest

// Media types and annotations regprune reads.
const (
	MediaTypeOCIIndex       = "application/vnd.oci.image.index.v1+json"
	MediaTypeDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
	MediaTypeOCIManifest    = "application/vnd.oci.image.manifest.v1+json"
	MediaTypeDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	AnnotationCreated       = "org.opencontainers.image.created"
	AnnotationRefName       = "org.opencontainers.image.ref.name"
	// PlaceholderAnnotation marks a placeholder manifest (an OCI index
	// with no manifests); its value names the tag and the time.
	PlaceholderAnnotation = "org.regprune.placeholder"
)

// IsIndexMediaType reports whether mt lists other manifests.
func IsIndexMediaType(mt string) bool {
	return mt == MediaTypeOCIIndex || mt == MediaTypeDockerList
}
