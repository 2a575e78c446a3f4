package state

import (
	"fmt"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
)

// minCompact is the smallest state.db worth rewriting: bbolt reuses free
// pages, and under a MiB a rewrite saves too little to spend it on every
// run.
const minCompact = 1 << 20

// sparse reports whether at least half of the database file is free
// pages (pages freed by expiry, which bbolt reuses but never gives back).
func (s *Store) sparse() bool {
	fi, err := os.Stat(s.db.Path())
	if err != nil {
		return false
	}
	free := int64(s.db.Stats().FreeAlloc)
	return fi.Size() >= minCompact && 2*free >= fi.Size()
}

// compact rewrites the database, live data only, into state.db.compact
// beside it (bbolt's Compact, which syncs what it writes), and renames
// that over state.db: a crash leaves the one or the other, whole. It
// runs while the store holds the lock, so no other run writes meanwhile;
// one that waits for the lock sees the file replaced and opens the new
// one (open).
func (s *Store) compact() error {
	path := s.db.Path()
	tmp := path + ".compact"
	_ = os.Remove(tmp) // left by a run killed while compacting
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: time.Second})
	if err == nil {
		err = bolt.Compact(dst, s.db, 4<<20)
		if cerr := dst.Close(); err == nil {
			err = cerr
		}
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("compacting %s: %w", path, err)
	}
	return nil
}
