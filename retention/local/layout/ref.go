package layout

import (
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// ref is an entry's ref name split into the repository a policy matches
// and the tag Decide ranks.
type ref struct {
	// name is the annotation as written; "" when the entry has none.
	name string
	repo string
	tag  string
}

// tagged reports whether the entry has a ref name (and so a policy may
// govern it).
func (r ref) tagged() bool { return r.name != "" }

var (
	// digestRE is the OCI digest grammar; sha256 and sha512 are checked
	// for their exact lowercase hex below.
	digestRE = regexp.MustCompile(`^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$`)
	// tagRE is the distribution tag grammar.
	tagRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
)

// parseRef splits a ref name. A full reference (repo:tag, repo@digest,
// repo:tag@digest, with or without a registry host) yields its repository
// as written; anything else is a bare tag of the repository named bare.
// A digest-only reference gets the tag "@<digest>".
func parseRef(s, bare string) ref {
	r := ref{name: s, repo: bare, tag: s}
	if s == "" {
		return r
	}
	rest, dg := s, ""
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		rest, dg = s[:i], s[i+1:]
		if !validDigest(dg) {
			return r
		}
	}
	repo, tag := rest, ""
	if i := strings.LastIndexByte(rest, ':'); i > strings.LastIndexByte(rest, '/') {
		repo, tag = rest[:i], rest[i+1:]
		if !tagRE.MatchString(tag) {
			return r
		}
	}
	if tag == "" && dg == "" {
		// "v1.2.0" or "team/app": no separator makes it a reference.
		return r
	}
	if _, err := name.NewRepository(repo); err != nil || strings.ContainsAny(repo, "@") {
		return r
	}
	if tag == "" {
		tag = "@" + dg
	}
	return ref{name: s, repo: repo, tag: tag}
}

// validDigest reports whether s is a well-formed digest.
func validDigest(s string) bool {
	if !digestRE.MatchString(s) {
		return false
	}
	alg, hex, _ := strings.Cut(s, ":")
	switch alg {
	case "sha256":
		return isHex(hex, 64)
	case "sha512":
		return isHex(hex, 128)
	}
	return true
}

// blobDigest reports whether the file name hex under blobs/alg names a
// blob the sweep may manage: sha256 and sha512 only, lowercase hex of the
// exact length.
func blobDigest(alg, hex string) bool {
	switch alg {
	case "sha256":
		return isHex(hex, 64)
	case "sha512":
		return isHex(hex, 128)
	}
	return false
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
