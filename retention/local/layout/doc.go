// Package layout prunes OCI image layout directories with the policy
// language of the registries.
//
// Plan reads a layout and decides; Apply carries a plan out. An entry of
// index.json is a tag: its org.opencontainers.image.ref.name annotation is
// either a bare tag ("v1.2.0") or a full reference as containerd writes
// them ("registry/repo:tag", "repo@sha256:…", "repo:tag@sha256:…"). Entries
// are grouped into one retention.Listing per repository part and decided by
// retention.Decide, so semver, newest, youngerThan, selectors, protect,
// minAge, shared digests and sha256-<hex>.sig attachments work unchanged.
//
// Naming choices:
//   - Bare tags form the repository named by the layout's path as
//     configured (LayoutRules.Path). A policy without repositories governs
//     them; a policy with repositories governs them only when one of its
//     patterns matches that path. The path cannot collide with a
//     reference's repository part, which is never absolute.
//   - A digest-only reference ("repo@sha256:…") is the tag "@sha256:…" of
//     repo: no real tag contains "@", and tag selectors such as "*" still
//     select it.
//   - An entry without a ref name is governed by no policy and kept; it
//     appears with an empty tag in the layout path's repository.
//
// Removing a tag removes its index.json entry; blobs go only when nothing
// left reaches them. Apply marks from the remaining entries through
// indexes, manifests, configs, layers and referrers (manifests whose
// subject is reachable), and sweeps only files under blobs/<alg>/ named by
// a valid sha256 or sha512 digest that nothing reaches and that were not
// modified within the grace period. Descriptors of unknown media types are
// kept; where a manifest is expected (an index.json entry, an index
// child, a referrer) such a blob is also read as a manifest when its
// content is one, so that what it names is kept too. Nothing else in the layout is touched, except the
// lock file .regprune.lock (an advisory flock for cooperating writers) and
// index.json, which is replaced atomically.
package layout
