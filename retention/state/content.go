package state

import (
	"bytes"
	"encoding/json"

	"github.com/opencontainers/go-digest"
	bolt "go.etcd.io/bbolt"
)

// contentBucket holds manifests' bytes once each, by digest, for the
// cache and the recorded runs both: a manifest apply deletes is most
// often one the cache holds, and its bytes were kept twice. An entry of
// the cache (shared) or a run's record (no raw of its own) refers to
// them by its digest; bytes neither refers to any more are dropped when
// expiry drops an entry (sweep).
//
// Only bytes that hash to their digest are put here, so that no entry
// can answer for another one's digest; bytes that do not (an edited
// state directory, a registry that served something else) are kept
// inline in their entry, as read, as before. Readers still hash what
// they are given (the registry client, restore): the file can be edited
// after it was written.
var contentBucket = []byte("content")

// putContent keeps raw under dgst when it hashes to it, and reports
// whether it did.
func putContent(tx *bolt.Tx, dgst string, raw []byte) (bool, error) {
	d, err := digest.Parse(dgst)
	if err != nil || len(raw) == 0 || d.Algorithm().FromBytes(raw) != d {
		return false, nil
	}
	bk := tx.Bucket(contentBucket)
	if bytes.Equal(bk.Get([]byte(dgst)), raw) {
		return true, nil
	}
	return true, bk.Put([]byte(dgst), bytes.Clone(raw))
}

// content returns the bytes kept under dgst, as stored (nil when none).
func content(tx *bolt.Tx, dgst string) []byte {
	return bytes.Clone(tx.Bucket(contentBucket).Get([]byte(dgst)))
}

// sweep drops the bytes no cache entry and no recorded run refers to.
func sweep(tx *bolt.Tx) error {
	used := map[string]bool{}
	err := tx.Bucket(manifestsBucket).ForEach(func(k, v []byte) error {
		if at := bytes.LastIndexByte(k, '@'); at >= 0 && refersToContent(v) {
			used[string(k[at+1:])] = true
		}
		return nil
	})
	if err != nil {
		return err
	}
	runs := tx.Bucket(runsBucket)
	err = runs.ForEachBucket(func(run []byte) error {
		return runs.Bucket(run).ForEach(func(_, v []byte) error {
			if d, ok := decodeDeleted(v); ok && len(d.Raw) == 0 {
				used[d.Digest] = true
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	bk := tx.Bucket(contentBucket)
	var unused [][]byte
	_ = bk.ForEach(func(k, _ []byte) error {
		if !used[string(k)] {
			unused = append(unused, bytes.Clone(k))
		}
		return nil
	})
	for _, k := range unused {
		if err := bk.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// refersToContent reports whether the cache entry v has its manifest's
// bytes in the content bucket.
func refersToContent(v []byte) bool {
	var c cached
	return json.Unmarshal(v, &c) == nil && c.Shared
}

// decodeDeleted reads one record of a run.
func decodeDeleted(v []byte) (Deleted, bool) {
	var d Deleted
	return d, json.Unmarshal(v, &d) == nil
}
