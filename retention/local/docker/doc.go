// Package docker prunes a Docker Engine's images and build cache with the
// policy language of the registry side.
//
// Plan reads the engine (images, their inspect data, every container in
// any state), builds one retention.Listing per repository as the engine
// shows it, lets retention.Decide evaluate the policies, and then applies
// what only a local cache knows: an image used by a container keeps all
// its tags, an image that was never pushed or pulled is protected unless
// localOnly is allow, references follow digests the run deleted from the
// registry (followRemote), and old dangling images go. Apply re-reads the
// engine, re-checks each deletion and removes images per reference, never
// with force and never through POST /images/prune.
//
// The engine's API version is negotiated; only what that version offers
// is used, so Debian's 20.10 (API 1.41) and current engines both work.
package docker
