package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/regprune/regprune/retention"
)

// recordOld records n runs of 100 KiB each whose deletions were made
// 40 days ago: expired under the default retention.
func recordOld(t *testing.T, s *Store, n int) {
	t.Helper()
	err := s.db.Update(func(tx *bolt.Tx) error {
		for i := range n {
			run, err := tx.Bucket(runsBucket).CreateBucket([]byte(fmt.Sprint("old-", i)))
			if err != nil {
				return err
			}
			for j := range 10 {
				v, _ := json.Marshal(Deleted{Repository: "reg.example/app", Digest: fmt.Sprint("sha256:", j),
					Raw: bytes.Repeat([]byte{'x'}, 10<<10), DeletedAt: time.Now().Add(-40 * 24 * time.Hour)})
				if err := run.Put([]byte(fmt.Sprint(j)), v); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func fileSize(t *testing.T, dir string) int64 {
	t.Helper()
	fi, err := os.Stat(filepath.Join(dir, File))
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestCompact: once expiry has freed most of state.db, closing the store
// rewrites it small, with everything that was live in it.
func TestCompact(t *testing.T) {
	dir := t.TempDir()
	s, _, err := Open(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	recordOld(t, s, 40)
	if err := s.RecordDeletion("recent", "reg.example/app", retention.Deletion{Digest: "sha256:r"}, []byte("{}"), ""); err != nil {
		t.Fatal(err)
	}
	s.PutManifest("reg.example/app", "sha256:m", []byte(`{"m":1}`), "application/json")
	if err := s.Begin("reg.example/app", []retention.Deletion{{Digest: "sha256:p", Kind: retention.KindImage}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	full := fileSize(t, dir)

	s, _, err = Open(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.ExpireRuns(0); err != nil || n != 40 {
		t.Fatalf("ExpireRuns dropped %d (%v), want 40", n, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := fileSize(t, dir); got > full/4 {
		t.Errorf("state.db is %d bytes after expiring nearly all of its %d, want it compacted", got, full)
	}
	if _, err := os.Stat(filepath.Join(dir, File+".compact")); err == nil {
		t.Error("the compaction's temporary file was left")
	}

	s, note, err := Open(dir, time.Second)
	if err != nil || note != "" {
		t.Fatal(err, note)
	}
	defer s.Close()
	if runs, _ := s.Runs(); len(runs) != 1 || runs[0].ID != "recent" {
		t.Errorf("after compaction: runs %+v, want the recent one", runs)
	}
	if _, _, ok := s.Manifest("reg.example/app", "sha256:m"); !ok {
		t.Error("after compaction the cached manifest is gone")
	}
	if p, _ := s.Pending("reg.example/app"); len(p) != 1 {
		t.Errorf("after compaction: pending %v, want the journaled deletion", p)
	}
}

// TestCompactWhileWaiting: a run that waits for the state directory
// while the run holding it compacts it works on the new file, not on the
// one the compaction replaced (which nobody would read again).
func TestCompactWhileWaiting(t *testing.T) {
	dir := t.TempDir()
	a, _, err := Open(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	recordOld(t, a, 40)
	if _, err := a.ExpireRuns(0); err != nil {
		t.Fatal(err)
	}
	opened := make(chan *Store)
	go func() {
		b, _, err := Open(dir, 10*time.Second)
		if err != nil {
			t.Error(err)
		}
		opened <- b
	}()
	time.Sleep(300 * time.Millisecond) // b waits for a's lock
	before := fileSize(t, dir)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if after := fileSize(t, dir); after >= before {
		t.Fatalf("state.db was not compacted (%d bytes, then %d)", before, after)
	}
	b := <-opened
	if b == nil {
		t.FailNow()
	}
	b.PutManifest("reg.example/app", "sha256:b", []byte(`{"b":1}`), "application/json")
	b.Close()
	c, _, err := Open(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, _, ok := c.Manifest("reg.example/app", "sha256:b"); !ok {
		t.Error("what the waiting run wrote is not in state.db: it wrote to the file the compaction replaced")
	}
}
