package state

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

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
	if err := s.Settle(repo, "sha256:i", retention.KindIndex); err != nil {
		t.Fatal(err)
	}
	got, err := s.Pending(repo)
	if err != nil {
		t.Fatal(err)
	}
	var digests []string
	for _, d := range got {
		digests = append(digests, d.Digest)
		if d.Status != "" {
			t.Errorf("a pending deletion carries the status %q", d.Status)
		}
	}
	if !slices.Equal(digests, []string{"sha256:c1", "sha256:c2"}) || got[0].Parent != "sha256:i" {
		t.Errorf("pending %+v, want the two children in order", got)
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
