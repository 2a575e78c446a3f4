package state

import (
	"bytes"
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/regprune/regprune/retention"
)

var manifestsBucket = []byte("manifests")

// DefaultCacheExpiry drops a cached manifest not seen for this long.
const DefaultCacheExpiry = 30 * 24 * time.Hour

// cached is what is kept of one manifest of one repository. A digest's
// content never changes, so an entry is never stale; it only ages out.
// Content is kept as the bytes read, never as what was made of them, so
// that a reader can hash it against its digest (an entry written as
// facts by an earlier version, "config", is not read: a cache miss).
type cached struct {
	ContentType string `json:"contentType"`
	// Raw is a manifest's bytes when they are not in the content bucket
	// (Shared): they do not hash to the digest, or an earlier version
	// wrote the entry.
	Raw []byte `json:"raw,omitempty"`
	// Shared: the manifest's bytes are in the content bucket, under the
	// digest of the entry's key.
	Shared bool `json:"shared,omitempty"`
	// ConfigBlob is a config blob's bytes (an entry of a config digest).
	ConfigBlob []byte `json:"configBlob,omitempty"`
	// Digest is, for a tag's entry, the hash of the manifest it pointed
	// at when last read whole.
	Digest    string    `json:"digest,omitempty"`
	FirstSeen time.Time `json:"firstSeen"`
	LastSeen  time.Time `json:"lastSeen"`
}

func manifestKey(repo, digest string) []byte {
	return []byte(retention.CanonicalName(repo) + "@" + digest)
}

// tagKey is the key of a tag's last digest: REPO:TAG never collides with
// REPO@DIGEST, and Knows' prefix REPO@ does not match it.
func tagKey(repo, tag string) []byte {
	return []byte(retention.CanonicalName(repo) + ":" + tag)
}

func (s *Store) getCached(repo, digest string) (cached, bool) {
	return s.getKey(manifestKey(repo, digest))
}

func (s *Store) getKey(key []byte) (cached, bool) {
	var c cached
	ok := false
	_ = s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(manifestsBucket).Get(key)
		ok = b != nil && json.Unmarshal(b, &c) == nil
		return nil
	})
	return c, ok
}

// update changes one entry (creating it), in a batched write.
func (s *Store) update(repo, digest string, change func(*cached)) {
	s.updateKey(manifestKey(repo, digest), change)
}

func (s *Store) updateKey(k []byte, change func(*cached)) {
	s.updateKeyTx(k, func(_ *bolt.Tx, c *cached) error { change(c); return nil })
}

// updateKeyTx is updateKey for a change that also writes elsewhere in
// the same transaction.
func (s *Store) updateKeyTx(k []byte, change func(*bolt.Tx, *cached) error) {
	now := time.Now().UTC()
	_ = s.db.Batch(func(tx *bolt.Tx) error {
		bk := tx.Bucket(manifestsBucket)
		var c cached
		if b := bk.Get(k); b == nil || json.Unmarshal(b, &c) != nil {
			c = cached{FirstSeen: now}
		}
		c.LastSeen = now
		if err := change(tx, &c); err != nil {
			return err
		}
		b, err := json.Marshal(c)
		if err != nil {
			return err
		}
		return bk.Put(k, b)
	})
}

// Manifest returns the cached bytes of repo's manifest digest. A hit
// older than a day is marked seen again, so that it does not age out.
func (s *Store) Manifest(repo, digest string) ([]byte, string, bool) {
	c, ok := s.getCached(repo, digest)
	raw := c.Raw
	if ok && c.Shared {
		_ = s.db.View(func(tx *bolt.Tx) error { raw = content(tx, digest); return nil })
	}
	if !ok || len(raw) == 0 {
		return nil, "", false
	}
	if time.Since(c.LastSeen) > 24*time.Hour {
		s.update(repo, digest, func(*cached) {})
	}
	return raw, c.ContentType, true
}

// PutManifest caches the bytes of a manifest read from the registry:
// in the content bucket when they hash to digest, else in the entry.
func (s *Store) PutManifest(repo, digest string, raw []byte, contentType string) {
	s.updateKeyTx(manifestKey(repo, digest), func(tx *bolt.Tx, c *cached) error {
		shared, err := putContent(tx, digest, raw)
		if err != nil {
			return err
		}
		c.ContentType, c.Shared, c.Raw = contentType, shared, nil
		if !shared {
			c.Raw = bytes.Clone(raw)
		}
		return nil
	})
}

// ConfigBlob returns the cached bytes of repo's config blob digest, as
// stored: the caller hashes them against digest.
func (s *Store) ConfigBlob(repo, digest string) ([]byte, bool) {
	c, ok := s.getCached(repo, digest)
	if !ok || len(c.ConfigBlob) == 0 {
		return nil, false
	}
	return c.ConfigBlob, true
}

// PutConfigBlob caches the bytes of a config blob read from the registry.
func (s *Store) PutConfigBlob(repo, digest string, raw []byte) {
	s.update(repo, digest, func(c *cached) { c.ConfigBlob = bytes.Clone(raw) })
}

// TagDigest returns the digest repo's tag pointed at when it was last
// read whole (the hash of the manifest served, not a header).
func (s *Store) TagDigest(repo, tag string) (string, bool) {
	c, ok := s.getKey(tagKey(repo, tag))
	if ok && time.Since(c.LastSeen) > 24*time.Hour {
		s.updateKey(tagKey(repo, tag), func(*cached) {})
	}
	return c.Digest, ok && c.Digest != ""
}

// PutTagDigest records the hash of the manifest tag pointed at.
func (s *Store) PutTagDigest(repo, tag, digest string) {
	s.updateKey(tagKey(repo, tag), func(c *cached) { c.Digest = digest })
}

// FirstSeen returns when regprune first saw repo's manifest digest.
func (s *Store) FirstSeen(repo, digest string) (time.Time, bool) {
	c, ok := s.getCached(repo, digest)
	return c.FirstSeen, ok && !c.FirstSeen.IsZero()
}

// Knows reports whether anything of repo is cached: a repository seen
// for the first time is read with GETs straight away, not HEAD first.
func (s *Store) Knows(repo string) bool {
	prefix := []byte(retention.CanonicalName(repo) + "@")
	found := false
	_ = s.db.View(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(manifestsBucket).Cursor().Seek(prefix)
		found = k != nil && bytes.HasPrefix(k, prefix)
		return nil
	})
	return found
}

// Expire drops the entries not seen for longer than after (0: the
// default) and returns how many.
func (s *Store) Expire(after time.Duration) (int, error) {
	if after <= 0 {
		after = DefaultCacheExpiry
	}
	cutoff := time.Now().Add(-after)
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		c := tx.Bucket(manifestsBucket).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			var e cached
			if json.Unmarshal(v, &e) != nil || e.LastSeen.Before(cutoff) {
				if err := c.Delete(); err != nil {
					return err
				}
				n++
			}
		}
		if n > 0 {
			return sweep(tx)
		}
		return nil
	})
	return n, err
}
