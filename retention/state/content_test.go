package state

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	bolt "go.etcd.io/bbolt"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/manifest"
)

// contentKeys lists the digests the content bucket holds.
func contentKeys(t *testing.T, s *Store) []string {
	t.Helper()
	var out []string
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(contentBucket).ForEach(func(k, _ []byte) error {
			out = append(out, string(k))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestContentOnce: a manifest the cache holds and two runs recorded is
// stored once; each reader gets its bytes back; the bytes stay while
// anything refers to them and go with the last.
func TestContentOnce(t *testing.T) {
	s, _, err := Open(t.TempDir(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	raw := bytes.Repeat([]byte(`{"schemaVersion":2}`), 100)
	dgst := digest.FromBytes(raw).String()
	const repo = "reg.example/app"
	s.PutManifest(repo, dgst, raw, manifest.MediaTypeOCIManifest)
	for _, run := range []string{"run-1", "run-2"} {
		if err := s.RecordDeletion(run, repo, retention.Deletion{Digest: dgst, Kind: retention.KindImage}, raw, manifest.MediaTypeOCIManifest); err != nil {
			t.Fatal(err)
		}
	}
	if got := contentKeys(t, s); len(got) != 1 || got[0] != dgst {
		t.Fatalf("content bucket holds %v, want %s once", got, dgst)
	}
	var stored int
	_ = s.db.View(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{manifestsBucket, runsBucket} {
			_ = tx.Bucket(b).ForEach(func(k, v []byte) error {
				if v == nil {
					_ = tx.Bucket(b).Bucket(k).ForEach(func(_, v []byte) error { stored += len(v); return nil })
				}
				stored += len(v)
				return nil
			})
		}
		return nil
	})
	if stored >= len(raw) {
		t.Errorf("the cache entry and the run records hold %d bytes, more than the manifest's %d: its bytes are kept in them too", stored, len(raw))
	}
	if got, ct, ok := s.Manifest(repo, dgst); !ok || !bytes.Equal(got, raw) || ct != manifest.MediaTypeOCIManifest {
		t.Errorf("Manifest: %d bytes, %q, %v; want the manifest", len(got), ct, ok)
	}
	for _, run := range []string{"run-1", "run-2"} {
		if ds, err := s.Deletions(run); err != nil || len(ds) != 1 || !bytes.Equal(ds[0].Raw, raw) {
			t.Errorf("Deletions(%s): %v, %v; want the manifest's bytes", run, ds, err)
		}
	}

	// The cache entry expires: the runs still have the bytes.
	time.Sleep(5 * time.Millisecond)
	if n, err := s.Expire(time.Millisecond); err != nil || n != 1 {
		t.Fatalf("Expire dropped %d (%v), want 1", n, err)
	}
	if ds, err := s.Deletions("run-1"); err != nil || len(ds) != 1 || !bytes.Equal(ds[0].Raw, raw) {
		t.Errorf("after the cache expired, Deletions: %v, %v; want the manifest's bytes", ds, err)
	}
	// The runs expire: the bytes go.
	if n, err := s.ExpireRuns(time.Millisecond); err != nil || n != 2 {
		t.Fatalf("ExpireRuns dropped %d (%v), want 2", n, err)
	}
	if got := contentKeys(t, s); len(got) != 0 {
		t.Errorf("content left with nothing referring to it: %v", got)
	}
}

// TestContentNotHashing: bytes that do not hash to their digest are kept
// as given in their own entry, never under the digest, and come back as
// they were (their readers refuse them); a record an earlier version
// wrote, bytes inline, is read as before.
func TestContentNotHashing(t *testing.T) {
	s, _, err := Open(t.TempDir(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const repo, dgst = "reg.example/app", "sha256:0000000000000000000000000000000000000000000000000000000000000000"
	forged := []byte(`{"forged":true}`)
	s.PutManifest(repo, dgst, forged, "application/json")
	if err := s.RecordDeletion("run-1", repo, retention.Deletion{Digest: dgst}, forged, "application/json"); err != nil {
		t.Fatal(err)
	}
	if got := contentKeys(t, s); len(got) != 0 {
		t.Errorf("bytes that do not hash to %s were stored under it: %v", dgst, got)
	}
	if got, _, ok := s.Manifest(repo, dgst); !ok || !bytes.Equal(got, forged) {
		t.Errorf("Manifest: %q %v, want the bytes as given", got, ok)
	}
	if ds, err := s.Deletions("run-1"); err != nil || len(ds) != 1 || !bytes.Equal(ds[0].Raw, forged) {
		t.Errorf("Deletions: %v, %v; want the bytes as given", ds, err)
	}

	raw := []byte(`{"old":"format"}`)
	old, _ := json.Marshal(map[string]any{"repository": repo, "digest": digest.FromBytes(raw).String(), "kind": "image", "contentType": "application/json", "raw": raw, "deletedAt": time.Now()})
	err = s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.Bucket(runsBucket).CreateBucket([]byte("run-old"))
		if err == nil {
			err = b.Put([]byte("k"), old)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if ds, err := s.Deletions("run-old"); err != nil || len(ds) != 1 || !bytes.Equal(ds[0].Raw, raw) {
		t.Errorf("Deletions of a record with its bytes inline: %v, %v", ds, err)
	}
}
