// Package state is regprune's state directory: one embedded bbolt
// database, state.db, holding
//
//   - the journal (bucket "journal"): the deletions an apply has begun
//     and not settled, per repository, so that an apply killed halfway
//     is finished by the next one;
//   - the cache (bucket "manifests"): manifests' content type, config
//     blobs' bytes, by repository and digest; the digest each tag
//     pointed at when its manifest was last read whole; and when each
//     digest was first seen. A digest's content never changes, so an
//     entry never goes stale; one no run has seen for cacheExpiry is
//     dropped;
//   - the recorded runs (bucket "runs"): what each apply deleted, with
//     its tags, for restore; a run is dropped once its last deletion is
//     older than stateRetention;
//   - manifests' bytes (bucket "content"), once each, by digest, for the
//     cache and the runs both; kept while an entry or a run refers to
//     them (content.go).
//
// Every repository is keyed by its canonical name
// (retention.CanonicalName), so one registry written two ways has one
// journal, one cache and one set of runs.
//
// The state directory is trusted like the configuration file, and
// checked where it can be: content is kept as the bytes read, and its
// readers hash them against their digest before they use them (the
// registry client, restore); a tag's last digest is used only when the
// registry names the same one. First-seen times cannot be checked, nor
// can the journal, whose deletions apply makes only once the registry as
// listed now allows them (no tag on the manifest, its parent gone).
//
// Which directory a run uses is decided here too (Resolve): the
// --state-dir flag, REGPRUNE_STATE_DIR, the configuration's stateDir,
// else regprune/state under the user cache directory; a directory the
// user named must be usable. OpenFor opens it for a run, dropping what
// has expired, and NewRunID names the run whose deletions it records.
//
// State is an aid, never a condition: Open reports why a directory
// cannot be used, and the caller runs without state. A database that
// bbolt cannot read, or would fault on (cut short), is moved aside and a
// new one made. Two runs sharing a directory never corrupt it: bbolt
// locks the file, and the second run waits up to the timeout for the
// first, then runs without state. The database is compacted when a
// store closes with at least half of it free.
package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/regprune/regprune/retention"
)

// File is the database's name in the state directory.
const File = "state.db"

var journalBucket = []byte("journal")

// Store is an open state directory.
type Store struct {
	db *bolt.DB
}

// ErrLocked: another run holds the state directory.
var ErrLocked = errors.New("another regprune run holds the state directory")

// Open opens (creating it when missing) the state directory dir,
// waiting up to timeout for another run to release it. A database that
// is not one (corrupt, or another file) is moved aside to
// state.db.corrupt-TIME and a new one created, which the returned note
// says. Any error means: run without state.
func Open(dir string, timeout time.Duration) (s *Store, note string, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, "", fmt.Errorf("creating the state directory %s: %w", dir, err)
	}
	path := filepath.Join(dir, File)
	db, err := open(path, timeout)
	if err != nil && !errors.Is(err, ErrLocked) && !errors.Is(err, os.ErrPermission) {
		if _, statErr := os.Stat(path); statErr == nil {
			aside := fmt.Sprintf("%s.corrupt-%s", path, time.Now().UTC().Format("20060102T150405Z"))
			if os.Rename(path, aside) == nil {
				note = fmt.Sprintf("the state database %s could not be read (%v): moved aside to %s, starting afresh", path, err, aside)
				db, err = open(path, timeout)
			}
		}
	}
	if err != nil {
		return nil, note, err
	}
	return &Store{db: db}, note, nil
}

// open opens the database at path. A run that waited for the lock while
// the run holding it compacted the database holds the lock of the file
// replaced: it opens the new one.
func open(path string, timeout time.Duration) (*bolt.DB, error) {
	for range 3 {
		before, statErr := os.Stat(path)
		db, err := openFile(path, timeout)
		if err != nil || statErr != nil {
			return db, err
		}
		if after, err := os.Stat(path); err == nil && os.SameFile(before, after) {
			return db, nil
		}
		db.Close()
	}
	return nil, fmt.Errorf("%w (%s was replaced each time this run got it)", ErrLocked, path)
}

func openFile(path string, timeout time.Duration) (db *bolt.DB, err error) {
	// A file bbolt would fault on is refused before it is mapped.
	if err := checkFile(path); err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	// bbolt panics on some malformed files instead of returning an
	// error, and a damaged page the check does not read (a freelist
	// that runs past the file) faults: under SetPanicOnFault that is a
	// panic too, in this goroutine, and the file is moved aside. (The
	// descriptor bbolt opened then stays open until the process ends.)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, fmt.Errorf("opening %s: %v", path, r)
		}
	}()
	db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout})
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("%w (%s, waited %s)", ErrLocked, path, timeout)
	case err != nil:
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{journalBucket, manifestsBucket, runsBucket, contentBucket} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	return db, nil
}

// Close releases the state directory, compacting the database first
// when at least half of it is free (and it is at least a MiB): expiry
// frees pages, which bbolt reuses but never gives back.
func (s *Store) Close() error {
	if s == nil {
		return nil
	}
	var err error
	if s.sparse() {
		err = s.compact()
	}
	return errors.Join(err, s.db.Close())
}

// Each repository with deletions in progress has a bucket in the
// journal, under its canonical name (retention.CanonicalName, as the
// cache and the runs key it): one key per deletion ("KIND DIGEST"),
// whose value is the deletion with its place in the plan's order.
type journaled struct {
	Seq      int                `json:"seq"`
	Deletion retention.Deletion `json:"deletion"`
}

func key(kind retention.Kind, digest string) []byte { return []byte(string(kind) + " " + digest) }

// journalKey is repo's bucket in the journal: one registry written two
// ways (localhost:5000 and 127.0.0.1:5000) has one journal.
func journalKey(repo string) []byte { return []byte(retention.CanonicalName(repo)) }

// Begin records, before a repository's first DELETE, every deletion
// apply is about to make in it (replacing what an earlier run left).
func (s *Store) Begin(repo string, dels []retention.Deletion) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		j := tx.Bucket(journalBucket)
		if j.Bucket(journalKey(repo)) != nil {
			if err := j.DeleteBucket(journalKey(repo)); err != nil {
				return err
			}
		}
		bk, err := j.CreateBucket(journalKey(repo))
		if err != nil {
			return err
		}
		for i, d := range dels {
			if d.Status != retention.StatusDeleted { // parent records keep theirs
				d.Status = ""
			}
			d.Error = ""
			b, err := json.Marshal(journaled{Seq: i, Deletion: d})
			if err != nil {
				return err
			}
			if err := bk.Put(key(d.Kind, d.Digest), b); err != nil {
				return err
			}
		}
		return nil
	})
}

// Settle records the outcome of a deletion of repo: the next run does
// not take it up. One carried out (StatusDeleted) stays as a parent
// record (its digest, kind, tags and creation time), so that a child or
// referrer still pending can be checked against it, until Clear; any
// other is forgotten. Concurrent calls share one write.
func (s *Store) Settle(repo string, d retention.Deletion) error {
	return s.db.Batch(func(tx *bolt.Tx) error {
		bk := tx.Bucket(journalBucket).Bucket(journalKey(repo))
		if bk == nil {
			return nil
		}
		k := key(d.Kind, d.Digest)
		if d.Status != retention.StatusDeleted {
			return bk.Delete(k)
		}
		var j journaled
		if v := bk.Get(k); v != nil {
			if err := json.Unmarshal(v, &j); err != nil {
				return fmt.Errorf("reading the journal of %s: %w", repo, err)
			}
		}
		d.Reason, d.Error = "", ""
		j.Deletion = d
		b, err := json.Marshal(j)
		if err != nil {
			return err
		}
		return bk.Put(k, b)
	})
}

// Pending returns what a run journaled for repo and did not clear, in
// the plan's order: deletions not settled (no status) and those carried
// out (StatusDeleted), kept as parent records.
func (s *Store) Pending(repo string) ([]retention.Deletion, error) {
	var js []journaled
	err := s.db.View(func(tx *bolt.Tx) error {
		bk := tx.Bucket(journalBucket).Bucket(journalKey(repo))
		if bk == nil {
			return nil
		}
		return bk.ForEach(func(_, v []byte) error {
			var j journaled
			if err := json.Unmarshal(v, &j); err != nil {
				return fmt.Errorf("reading the journal of %s: %w", repo, err)
			}
			js = append(js, j)
			return nil
		})
	})
	sort.Slice(js, func(a, b int) bool { return js[a].Seq < js[b].Seq })
	out := make([]retention.Deletion, 0, len(js))
	for _, j := range js {
		out = append(out, j.Deletion)
	}
	return out, err
}

// Clear forgets repo's journal: everything in it is settled.
func (s *Store) Clear(repo string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		err := tx.Bucket(journalBucket).DeleteBucket(journalKey(repo))
		if errors.Is(err, berrors.ErrBucketNotFound) {
			return nil
		}
		return err
	})
}
