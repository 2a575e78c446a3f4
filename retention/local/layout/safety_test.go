package layout

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/manifest"
)

func TestCrashMidRewrite(t *testing.T) {
	t.Parallel()
	p := oldAndNew(t)
	lr := rules(t, string(p), 0, nil, keepNewest(1))
	want := snapshot(t, string(p))
	oldIndex, _ := os.ReadFile(filepath.Join(string(p), "index.json"))

	plan := Plan(t.Context(), lr, time.Now())
	crash := func(tmp string) error {
		// Killed here: the new index is written and synced, not renamed.
		if _, err := os.Stat(tmp); err != nil {
			t.Errorf("temporary index: %v", err)
		}
		got, _ := os.ReadFile(filepath.Join(string(p), "index.json"))
		if string(got) != string(oldIndex) {
			t.Error("index.json changed before the rename")
		}
		checkValidIndex(t, string(p))
		return errors.New("simulated crash")
	}
	rep := Apply(t.Context(), lr, plan, time.Now(), func(o *options) error { o.beforeRename = crash; return nil })
	if !strings.Contains(rep.Error, "simulated crash") || !strings.Contains(rep.Error, string(p)) {
		t.Errorf("Error = %q, want the crash, naming the layout", rep.Error)
	}
	if diff := cmp.Diff(want, snapshot(t, string(p))); diff != "" {
		t.Errorf("layout changed (-want +got):\n%s", diff)
	}
	// A half-written temporary file from a real crash is ignored.
	if err := os.WriteFile(filepath.Join(string(p), ".index.json.regprune-1.tmp"), []byte(`{"manif`), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, lr)
}

func TestMaxSizeDropsOldest(t *testing.T) {
	t.Parallel()
	p := newLayout(t)
	oldest, older, newest := image(t, day(30)), image(t, day(20)), image(t, day(1))
	appendImage(t, p, oldest, "a")
	appendImage(t, p, older, "b")
	appendImage(t, p, newest, "c")
	appendImage(t, p, image(t, day(40)), "stable") // protected
	appendImage(t, p, image(t, time.Time{}), "u")  // unknown age
	age(t, string(p))
	sizes := blobSizes(t, string(p))
	var total int64
	for _, n := range sizes {
		total += n
	}
	// One byte under the whole: dropping the oldest droppable is enough.
	lr := rules(t, string(p), total-1, []string{"stable"}, retention.Policy{Name: "all", Keep: []retention.KeepRule{{Tags: []string{"*"}}}})
	rep, gone := run(t, lr)
	for _, dg := range blobsOf(t, oldest) {
		if !gone[dg] {
			t.Errorf("blob %s of the oldest entry stayed", dg)
		}
	}
	if len(gone) != 3 {
		t.Errorf("removed %d blobs, want the 3 of the oldest", len(gone))
	}
	td, _ := decision(rep, "a")
	if td.Action != retention.Delete || !strings.HasPrefix(strings.Join(td.Reasons, ";"), "maxSize") {
		t.Errorf("a: %+v, want deleted for maxSize", td)
	}
	for _, tag := range []string{"b", "c", "stable", "u"} {
		if td, _ := decision(rep, tag); td.Action != retention.Keep {
			t.Errorf("%s: %+v, want keep", tag, td)
		}
	}

	// A limit nothing can meet drops every droppable entry and says so.
	lr = rules(t, string(p), 1, []string{"stable"}, retention.Policy{Name: "all", Keep: []retention.KeepRule{{Tags: []string{"*"}}}})
	rep, _ = run(t, lr)
	for _, tag := range []string{"b", "c"} {
		if td, _ := decision(rep, tag); td.Action != retention.Delete {
			t.Errorf("%s: %+v, want delete", tag, td)
		}
	}
	for _, tag := range []string{"stable", "u"} {
		if td, _ := decision(rep, tag); td.Action != retention.Keep {
			t.Errorf("%s: %+v, want keep (protected, unknown age)", tag, td)
		}
	}
	if !strings.Contains(strings.Join(rep.Notes, "\n"), "still over the limit") {
		t.Errorf("notes %q do not say the limit was missed", rep.Notes)
	}
}

func TestLockedLayout(t *testing.T) {
	t.Parallel()
	p := oldAndNew(t)
	lr := rules(t, string(p), 0, nil, keepNewest(1))
	plan := Plan(t.Context(), lr, time.Now())
	want := snapshot(t, string(p))

	f, err := os.OpenFile(filepath.Join(string(p), LockFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	rep := Apply(t.Context(), lr, plan, time.Now())
	if !strings.Contains(rep.Error, "locked by another process") || !strings.Contains(rep.Error, string(p)) {
		t.Errorf("Apply Error = %q", rep.Error)
	}
	if rep := Plan(t.Context(), lr, time.Now()); !strings.Contains(rep.Error, "locked by another process") {
		t.Errorf("Plan Error = %q", rep.Error)
	}
	if diff := cmp.Diff(want, snapshot(t, string(p))); diff != "" {
		t.Errorf("layout changed (-want +got):\n%s", diff)
	}
	for _, d := range rep.Repositories[0].Deletions {
		if d.Status != retention.StatusSkipped {
			t.Errorf("deletion %+v: want skipped", d)
		}
	}
}

func TestBadLayouts(t *testing.T) {
	t.Parallel()
	corrupt := newLayout(t)
	if err := os.WriteFile(filepath.Join(string(corrupt), "index.json"), []byte(`{"manifests": [{"digest": `), 0o644); err != nil {
		t.Fatal(err)
	}
	badDigest := newLayout(t)
	if err := os.WriteFile(filepath.Join(string(badDigest), "index.json"), []byte(`{"manifests": [{"digest": "sha256:../../etc/passwd"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	noIndex := newLayout(t)
	os.Remove(filepath.Join(string(noIndex), "index.json"))
	unreadable := newLayout(t)
	os.Chmod(filepath.Join(string(unreadable), "index.json"), 0)
	for _, tc := range []struct {
		name, path, want string
	}{
		{"corrupt index.json", string(corrupt), "parsing index.json"},
		{"invalid digest", string(badDigest), "invalid digest"},
		{"no index.json", string(noIndex), "not an OCI image layout"},
		{"empty directory", t.TempDir(), "not an OCI image layout"},
		{"missing path", filepath.Join(t.TempDir(), "nope"), "not an OCI image layout"},
		{"permission", string(unreadable), "permission denied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "permission" && os.Geteuid() == 0 {
				t.Skip("root reads everything")
			}
			lr := rules(t, tc.path, 0, nil, keepNewest(1))
			before := snapshot(t, tc.path)
			plan := Plan(t.Context(), lr, time.Now())
			if !strings.Contains(plan.Error, tc.want) || !strings.Contains(plan.Error, tc.path) {
				t.Errorf("Plan Error = %q, want %q naming %s", plan.Error, tc.want, tc.path)
			}
			plan.Error = ""
			rep := Apply(t.Context(), lr, plan, time.Now())
			if !strings.Contains(rep.Error, tc.want) {
				t.Errorf("Apply Error = %q, want %q", rep.Error, tc.want)
			}
			if diff := cmp.Diff(before, snapshot(t, tc.path)); diff != "" {
				t.Errorf("layout changed (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlanChangesNothing(t *testing.T) {
	t.Parallel()
	p := oldAndNew(t)
	want := snapshot(t, string(p))
	plan := Plan(t.Context(), rules(t, string(p), 0, nil, keepNewest(1)), time.Now())
	if plan.Error != "" || plan.EstimatedBytes == 0 {
		t.Fatalf("plan: %+v", plan)
	}
	if diff := cmp.Diff(want, snapshot(t, string(p))); diff != "" {
		t.Errorf("layout changed (-want +got):\n%s", diff)
	}
}

func TestChangedSincePlanIsSkipped(t *testing.T) {
	t.Parallel()
	p := oldAndNew(t)
	lr := rules(t, string(p), 0, nil, keepNewest(1))
	plan := Plan(t.Context(), lr, time.Now())
	// "old" moves to a fresh image after the plan.
	if err := p.RemoveDescriptors(func(d v1Desc) bool { return d.Annotations[manifest.AnnotationRefName] == "old" }); err != nil {
		t.Fatal(err)
	}
	moved := image(t, day(30))
	appendImage(t, p, moved, "old")
	age(t, string(p))
	rep := Apply(t.Context(), lr, plan, time.Now())
	if rep.Error != "" {
		t.Fatal(rep.Error)
	}
	d := rep.Repositories[0].Deletions[0]
	if d.Status != retention.StatusSkipped || !strings.Contains(d.Reason, "now points at "+digestOf(t, moved)) {
		t.Errorf("deletion %+v: want skipped, naming the new digest", d)
	}
	if _, err := os.Stat(filepath.Join(string(p), "blobs", "sha256", strings.TrimPrefix(digestOf(t, moved), "sha256:"))); err != nil {
		t.Errorf("the moved tag's manifest: %v", err)
	}
}

func TestParseRef(t *testing.T) {
	t.Parallel()
	d := "sha256:" + strings.Repeat("a", 64)
	for _, tc := range []struct{ in, repo, tag string }{
		{"v1.2.0", "/l", "v1.2.0"},
		{"latest", "/l", "latest"},
		{"docker.io/library/nginx:1.27", "docker.io/library/nginx", "1.27"},
		{"localhost:5000/team/app:v1", "localhost:5000/team/app", "v1"},
		{"localhost:5000/team/app", "/l", "localhost:5000/team/app"},
		{"ghcr.io/o/app@" + d, "ghcr.io/o/app", "@" + d},
		{"ghcr.io/o/app:v2@" + d, "ghcr.io/o/app", "v2"},
		{"app:v1", "app", "v1"},
		{"Team/App:v1", "/l", "Team/App:v1"},
		{"app@sha256:short", "/l", "app@sha256:short"},
	} {
		got := parseRef(tc.in, "/l")
		if got.repo != tc.repo || got.tag != tc.tag {
			t.Errorf("parseRef(%q) = %q, %q; want %q, %q", tc.in, got.repo, got.tag, tc.repo, tc.tag)
		}
	}
}

func TestRepositoriesAndBareTags(t *testing.T) {
	t.Parallel()
	p := newLayout(t)
	appendImage(t, p, image(t, day(30)), "v1")
	appendImage(t, p, image(t, day(30)), "docker.io/library/app:v1")
	appendImage(t, p, image(t, day(1)), "docker.io/library/app:v2")
	appendImage(t, p, image(t, day(30)), "")
	age(t, string(p))
	pol := keepNewest(1)
	pol.Repositories = []string{"docker.io/**"}
	rep, _ := run(t, rules(t, string(p), 0, nil, pol))
	got := map[string]retention.Action{}
	for _, rp := range rep.Repositories {
		for _, td := range rp.Tags {
			got[rp.Repository+" "+td.Tag] = td.Action
		}
	}
	want := map[string]retention.Action{
		string(p) + " v1":          retention.Keep, // bare tags: only a pattern matching the path governs them
		string(p) + " ":            retention.Keep, // no ref name
		"docker.io/library/app v1": retention.Delete,
		"docker.io/library/app v2": retention.Keep,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decisions (-want +got):\n%s", diff)
	}
}

// oldAndNew writes a layout with an image tagged "old" (30 days) and one
// tagged "new" (1 day), its files back-dated past the grace period.
func oldAndNew(t *testing.T) layout.Path {
	t.Helper()
	p := newLayout(t)
	appendImage(t, p, image(t, day(30)), "old")
	appendImage(t, p, image(t, day(1)), "new")
	age(t, string(p))
	return p
}
