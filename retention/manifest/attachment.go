package manifest

import "regexp"

// attachmentTag matches the tag scheme of signatures, attestations, SBOMs
// (cosign's sha256-<hex>.sig/.att/.sbom) and referrers fallback indexes
// (sha256-<hex>).
var attachmentTag = regexp.MustCompile(`^sha256-([0-9a-f]{64})(\.sig|\.att|\.sbom)?$`)

// AttachmentSubject returns the subject digest of an attachment tag and
// true, or "" and false for an ordinary tag.
func AttachmentSubject(tag string) (string, bool) {
	m := attachmentTag.FindStringSubmatch(tag)
	if m == nil {
		return "", false
	}
	return "sha256:" + m[1], true
}
