package state

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/manifest"
)

// TestRecordDeletion: what RecordDeletion keeps is what Deletions gives
// back, one record per manifest of the run (a second call replaces the
// first), in the order they were deleted, keyed by the canonical name.
func TestRecordDeletion(t *testing.T) {
	s, _, err := Open(t.TempDir(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	idx := retention.Deletion{Digest: "sha256:i", Kind: retention.KindIndex, Tags: []string{"v1", "v1.0"}, Reason: "not kept", Status: retention.StatusDeleted}
	child := retention.Deletion{Digest: "sha256:c", Kind: retention.KindChild, Parent: "sha256:i"}
	for _, r := range []struct {
		repo string
		d    retention.Deletion
		raw  string
	}{
		{"localhost:5000/app", idx, `{"old":1}`},
		{"127.0.0.1:5000/app", idx, `{"index":1}`}, // the same manifest, written the other way
		{"localhost:5000/app", child, `{"child":1}`},
	} {
		if err := s.RecordDeletion("run-1", r.repo, r.d, []byte(r.raw), manifest.MediaTypeOCIManifest); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	got, err := s.Deletions("run-1")
	if err != nil {
		t.Fatal(err)
	}
	want := []Deleted{
		{Repository: "127.0.0.1:5000/app", Digest: "sha256:i", Kind: retention.KindIndex, Tags: []string{"v1", "v1.0"}, ContentType: manifest.MediaTypeOCIManifest, Raw: []byte(`{"index":1}`)},
		{Repository: "localhost:5000/app", Digest: "sha256:c", Kind: retention.KindChild, Parent: "sha256:i", ContentType: manifest.MediaTypeOCIManifest, Raw: []byte(`{"child":1}`)},
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Deleted{}, "DeletedAt")); diff != "" {
		t.Errorf("Deletions (-want +got):\n%s", diff)
	}
	for _, d := range got {
		if time.Since(d.DeletedAt) > time.Minute {
			t.Errorf("%s: DeletedAt %v, want now", d.Digest, d.DeletedAt)
		}
	}
	if _, err := s.Deletions("run-2"); err == nil {
		t.Error("Deletions of a run never recorded: no error")
	}
}
