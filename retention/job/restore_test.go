package job_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/job"
	"github.com/regprune/regprune/retention/manifest"
	"github.com/regprune/regprune/retention/state"
)

// fakePusher is a registry in maps, for restore's decisions at its seam
// (TestRestore in cmd/regprune runs the same against Distribution).
type fakePusher struct {
	manifests map[string][]byte // digest -> bytes
	tags      map[string]string // tag -> digest
	puts      []string
}

func (f *fakePusher) PutManifest(_ context.Context, _, ref, _ string, body []byte) (string, error) {
	d := digest.FromBytes(body).String()
	f.puts = append(f.puts, ref)
	f.manifests[d] = body
	if !strings.HasPrefix(ref, "sha256:") {
		f.tags[ref] = d
	}
	return d, nil
}

func (f *fakePusher) ReadTag(_ context.Context, _, tag string) (string, string, error) {
	d, ok := f.tags[tag]
	if !ok {
		return "", "", fmt.Errorf("tag %s: %w", tag, retention.ErrNotFound)
	}
	return d, manifest.MediaTypeOCIManifest, nil
}

func (f *fakePusher) Exists(_ context.Context, _, d string) (bool, error) {
	_, ok := f.manifests[d]
	return ok, nil
}

// TestRestoreDecisions: what restore pushes, and what it refuses to.
func TestRestoreDecisions(t *testing.T) {
	raw := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}`)
	d := digest.FromBytes(raw).String()
	newer := digest.FromString("newer").String()
	record := state.Deleted{Repository: "reg.example/app", Digest: d, Kind: retention.KindImage, Tags: []string{"v1", "v1.0"}, ContentType: manifest.MediaTypeOCIManifest, Raw: raw}
	tests := []struct {
		name   string
		before fakePusher
		record func(*state.Deleted)
		status string
		puts   []string
		inErr  string
	}{
		{"gone", fakePusher{}, nil, job.RestoreRestored, []string{d, "v1", "v1.0"}, ""},
		{"there already", fakePusher{manifests: map[string][]byte{d: raw}, tags: map[string]string{"v1": d, "v1.0": d}}, nil, job.RestorePresent, nil, ""},
		{"tag moved since", fakePusher{tags: map[string]string{"v1": newer}}, nil, job.RestorePartial, []string{d, "v1.0"}, "v1 (now " + newer + ")"},
		// A hand-edited state directory: bytes that are not the
		// recorded manifest are never pushed, not even under a tag.
		{"forged bytes", fakePusher{}, func(r *state.Deleted) { r.Raw = []byte(`{"forged":true}`) }, job.RestoreFailed, nil, "damaged"},
		{"forged tag-only record", fakePusher{manifests: map[string][]byte{d: raw}}, func(r *state.Deleted) {
			r.Kind, r.Raw = retention.KindTag, []byte(`{"forged":true}`)
		}, job.RestoreFailed, nil, "damaged"},
		{"not a digest", fakePusher{}, func(r *state.Deleted) { r.Digest = "sha256:zz" }, job.RestoreFailed, nil, "not a digest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.before
			if f.manifests == nil {
				f.manifests = map[string][]byte{}
			}
			if f.tags == nil {
				f.tags = map[string]string{}
			}
			r := record
			r.Tags = append([]string(nil), record.Tags...)
			if tt.record != nil {
				tt.record(&r)
			}
			out := job.Restore(context.Background(), &f, []state.Deleted{r}, job.RestoreOptions{})
			if len(out) != 1 || out[0].Status != tt.status || !strings.Contains(out[0].Error+strings.Join(out[0].Moved, " "), tt.inErr) {
				t.Fatalf("restore: %+v, want status %s with %q", out, tt.status, tt.inErr)
			}
			if strings.Join(f.puts, " ") != strings.Join(tt.puts, " ") {
				t.Errorf("pushed %q, want %q", f.puts, tt.puts)
			}
		})
	}
}

// TestCheckRepository: --repository must name a repository the run
// deleted in, in any spelling of its host; a typo is ErrNotInRun, naming
// the run's repositories.
func TestCheckRepository(t *testing.T) {
	t.Parallel()
	recorded := []state.Deleted{
		{Repository: "localhost:5000/acme/app"}, {Repository: "localhost:5000/acme/web"}, {Repository: "localhost:5000/acme/app"},
	}
	for _, tc := range []struct {
		repo, wantErr string
	}{
		{repo: "localhost:5000/acme/app"},
		{repo: "127.0.0.1:5000/acme/web"},
		{repo: "localhost:5000/acme/ap", wantErr: "localhost:5000/acme/ap: the run deleted nothing in this repository (it deleted in localhost:5000/acme/app, localhost:5000/acme/web)"},
	} {
		err := job.CheckRepository(recorded, tc.repo)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v, want nil", tc.repo, err)
		case tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr || !errors.Is(err, job.ErrNotInRun)):
			t.Errorf("%s: %v, want ErrNotInRun: %s", tc.repo, err, tc.wantErr)
		}
	}
}
