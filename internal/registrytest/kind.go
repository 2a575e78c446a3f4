package registrytest

import (
	"net/http"
	"strings"
)

// Kind classifies registry requests by what they ask for.
type Kind string

// Request kinds.
const (
	KindPing           Kind = "ping"               // /v2/
	KindCatalog        Kind = "catalog"            // /v2/_catalog
	KindTags           Kind = "tags"               // /v2/<name>/tags/list
	KindManifestTag    Kind = "manifest-by-tag"    // /v2/<name>/manifests/<tag>
	KindManifestDigest Kind = "manifest-by-digest" // /v2/<name>/manifests/<digest>
	KindBlob           Kind = "blob"               // /v2/<name>/blobs/<digest>
	KindUpload         Kind = "upload"             // /v2/<name>/blobs/uploads/...
	KindReferrers      Kind = "referrers"          // /v2/<name>/referrers/<digest>
	KindToken          Kind = "token"              // anything outside /v2/ ending in /token
	KindOther          Kind = "other"
)

// Classify returns the kind of a registry request, from its path.
func Classify(r *http.Request) Kind {
	path := r.URL.Path
	switch {
	case path == "/v2/" || path == "/v2":
		return KindPing
	case path == "/v2/_catalog":
		return KindCatalog
	case !strings.HasPrefix(path, "/v2/"):
		if strings.HasSuffix(path, "/token") || path == "/token" {
			return KindToken
		}
		return KindOther
	case strings.HasSuffix(path, "/tags/list"):
		return KindTags
	case strings.Contains(path, "/blobs/uploads"):
		return KindUpload
	}
	for _, k := range []struct {
		seg  string
		kind Kind
	}{{"/manifests/", ""}, {"/blobs/", KindBlob}, {"/referrers/", KindReferrers}} {
		i := strings.LastIndex(path, k.seg)
		if i < 0 {
			continue
		}
		if k.kind != "" {
			return k.kind
		}
		if strings.Contains(path[i+len(k.seg):], ":") {
			return KindManifestDigest
		}
		return KindManifestTag
	}
	return KindOther
}

// Is returns a Fault.Match that matches requests of kind with method
// ("" for any).
func Is(method string, kind Kind) func(*http.Request) bool {
	return func(r *http.Request) bool {
		return Classify(r) == kind && (method == "" || r.Method == method)
	}
}

// RepositoryOf returns the repository a registry request is about, from
// its path ("" for the ping, the catalog and anything outside /v2/).
func RepositoryOf(r *http.Request) string {
	path, ok := strings.CutPrefix(r.URL.Path, "/v2/")
	if !ok {
		return ""
	}
	for _, seg := range []string{"/tags/list", "/manifests/", "/blobs/", "/referrers/"} {
		if i := strings.LastIndex(path, seg); i > 0 {
			return path[:i]
		}
	}
	return ""
}
