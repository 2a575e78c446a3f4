package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/regprune/regprune/retention"
)

func TestJournal(t *testing.T) {
	s, note, err := Open(t.TempDir(), time.Second)
	if err != nil || note != "" {
		t.Fatal(err, note)
	}
	defer s.Close()
	const repo = "reg.example/app"
	dels := []retention.Deletion{
		{Digest: "sha256:i", Kind: retention.KindIndex, Tags: []string{"old"}},
		{Digest: "sha256:c1", Kind: retention.KindChild, Parent: "sha256:i"},
		{Digest: "sha256:c2", Kind: retention.KindChild, Parent: "sha256:i", Status: retention.StatusDeleted},
	}
	if err := s.Begin(repo, dels); err != nil {
		t.Fatal(err)
	}
	// The index was deleted: it stays as a parent record, with its tags;
	// a child that was skipped is forgotten.
	if err := s.Settle(repo, retention.Deletion{Digest: "sha256:i", Kind: retention.KindIndex, Tags: []string{"old"}, Status: retention.StatusDeleted, Reason: "r"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Settle(repo, retention.Deletion{Digest: "sha256:c2", Kind: retention.KindChild, Status: retention.StatusSkipped}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Pending(repo)
	if err != nil {
		t.Fatal(err)
	}
	var digests []string
	for _, d := range got {
		digests = append(digests, d.Digest+" "+string(d.Status))
	}
	if !slices.Equal(digests, []string{"sha256:i deleted", "sha256:c1 "}) || got[1].Parent != "sha256:i" || !slices.Equal(got[0].Tags, []string{"old"}) {
		t.Errorf("journal %+v, want the deleted index (with its tags) and the pending child, in order", got)
	}
	if other, _ := s.Pending("reg.example/other"); len(other) != 0 {
		t.Errorf("another repository has pending %v", other)
	}
	if err := s.Clear(repo); err != nil {
		t.Fatal(err)
	}
	if err := s.Clear(repo); err != nil {
		t.Errorf("clearing twice: %v", err)
	}
	if got, _ := s.Pending(repo); len(got) != 0 {
		t.Errorf("pending after Clear: %v", got)
	}
}

// TestJournalCanonicalKey: one repository has one journal, whichever
// spelling of its registry's host wrote it and whichever reads it.
func TestJournalCanonicalKey(t *testing.T) {
	s, _, err := Open(t.TempDir(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dels := []retention.Deletion{
		{Digest: "sha256:i", Kind: retention.KindIndex},
		{Digest: "sha256:c", Kind: retention.KindChild, Parent: "sha256:i"},
	}
	if err := s.Begin("localhost:5000/a", dels); err != nil {
		t.Fatal(err)
	}
	for _, spelling := range []string{"127.0.0.1:5000/a", "[::1]:5000/a", "LOCALHOST:5000/a"} {
		if got, err := s.Pending(spelling); err != nil || len(got) != 2 {
			t.Errorf("Pending(%s) = %v (%v), want the 2 deletions begun under localhost:5000/a", spelling, got, err)
		}
	}
	if err := s.Settle("127.0.0.1:5000/a", retention.Deletion{Digest: "sha256:i", Kind: retention.KindIndex, Status: retention.StatusSkipped}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Pending("localhost:5000/a"); len(got) != 1 || got[0].Digest != "sha256:c" {
		t.Errorf("after settling the index under 127.0.0.1: pending %v, want the child", got)
	}
	if err := s.Clear("127.0.0.1:5000/a"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Pending("localhost:5000/a"); len(got) != 0 {
		t.Errorf("pending %v after Clear under another spelling", got)
	}
}

// TestOpenFailures: a directory that cannot be written, a database held
// by another run, and a corrupt one: the first two are errors (run
// without state), the third is moved aside and replaced.
func TestOpenFailures(t *testing.T) {
	dir := t.TempDir()
	held, _, err := Open(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Open(dir, 100*time.Millisecond); !errors.Is(err, ErrLocked) {
		t.Errorf("a held directory: %v, want ErrLocked", err)
	}
	held.Close()
	if s, _, err := Open(dir, 100*time.Millisecond); err != nil {
		t.Errorf("after the other run: %v", err)
	} else {
		s.Close()
	}

	// A file where the directory would be: it cannot be made (for root
	// too, unlike a read-only directory).
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Open(filepath.Join(file, "state"), time.Second); err == nil {
		t.Error("a directory under a file opened")
	}

	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, File), []byte(strings.Repeat("not a database ", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	s, note, err := Open(bad, time.Second)
	if err != nil {
		t.Fatalf("a corrupt database: %v", err)
	}
	defer s.Close()
	if !strings.Contains(note, "moved aside") {
		t.Errorf("note %q", note)
	}
	if m, _ := filepath.Glob(filepath.Join(bad, File+".corrupt-*")); len(m) != 1 {
		t.Errorf("the corrupt file was not kept aside: %v", m)
	}
}

func TestCache(t *testing.T) {
	s, _, err := Open(t.TempDir(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const repo = "Reg.Example:443/app"
	if s.Knows(repo) {
		t.Error("an empty cache knows the repository")
	}
	s.PutManifest(repo, "sha256:a", []byte(`{"x":1}`), "application/json")
	s.PutConfigBlob(repo, "sha256:c", []byte(`{"created":"2024-01-01T00:00:00Z"}`))
	// One registry under any spelling of its host.
	if !s.Knows("reg.example/app") || s.Knows("reg.example/ap") || s.Knows("reg.example/app2") {
		t.Error("Knows does not match the repository exactly, under its canonical name")
	}
	if raw, ct, ok := s.Manifest("reg.example/app", "sha256:a"); !ok || string(raw) != `{"x":1}` || ct != "application/json" {
		t.Errorf("Manifest = %q %q %v", raw, ct, ok)
	}
	if raw, ok := s.ConfigBlob(repo, "sha256:c"); !ok || string(raw) != `{"created":"2024-01-01T00:00:00Z"}` {
		t.Errorf("ConfigBlob = %q %v", raw, ok)
	}
	if _, ok := s.ConfigBlob(repo, "sha256:a"); ok {
		t.Error("a manifest entry answered for a config blob")
	}
	if _, _, ok := s.Manifest(repo, "sha256:c"); ok {
		t.Error("a config entry answered for a manifest")
	}
	if first, ok := s.FirstSeen(repo, "sha256:a"); !ok || time.Since(first) > time.Minute {
		t.Errorf("FirstSeen = %s %v", first, ok)
	}
	if n, err := s.Expire(time.Hour); err != nil || n != 0 {
		t.Errorf("Expire(1h) dropped %d (%v), want none", n, err)
	}
	time.Sleep(10 * time.Millisecond)
	if n, err := s.Expire(time.Millisecond); err != nil || n != 2 {
		t.Errorf("Expire(1ms) dropped %d (%v), want 2", n, err)
	}
	if s.Knows(repo) {
		t.Error("the repository is still known after expiry")
	}
}

// TestExpireRuns: a run is dropped once its last deletion is older than
// the retention (30 days by default), not before.
func TestExpireRuns(t *testing.T) {
	s, _, err := Open(t.TempDir(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	put := func(run string, ago ...time.Duration) {
		t.Helper()
		err := s.db.Update(func(tx *bolt.Tx) error {
			b, err := tx.Bucket(runsBucket).CreateBucketIfNotExists([]byte(run))
			if err != nil {
				return err
			}
			for i, a := range ago {
				v, _ := json.Marshal(Deleted{Repository: "reg.example/app", Digest: fmt.Sprint("sha256:", i), DeletedAt: time.Now().Add(-a)})
				if err := b.Put([]byte(fmt.Sprint(i)), v); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	const day = 24 * time.Hour
	put("old", 45*day, 40*day)
	put("straddling", 35*day, 29*day) // its last deletion is within 30 days
	put("recent", 2*day)
	ids := func() []string {
		runs, err := s.Runs()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range runs {
			out = append(out, r.ID)
		}
		return out
	}
	if n, err := s.ExpireRuns(0); err != nil || n != 1 {
		t.Errorf("ExpireRuns(default) dropped %d (%v), want 1", n, err)
	}
	if got := ids(); !slices.Equal(got, []string{"recent", "straddling"}) {
		t.Errorf("after the default retention: runs %v, want recent and straddling", got)
	}
	if n, err := s.ExpireRuns(7 * day); err != nil || n != 1 {
		t.Errorf("ExpireRuns(7d) dropped %d (%v), want 1", n, err)
	}
	if got := ids(); !slices.Equal(got, []string{"recent"}) {
		t.Errorf("after 7 days' retention: runs %v, want recent", got)
	}
}
