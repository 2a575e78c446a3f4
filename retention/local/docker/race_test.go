package docker

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
)

// onFirst returns an engine for the code under test that calls fn once,
// on the first request that match selects, before that request is sent:
// another client acting between apply's requests. The fixture's rules
// (never force, never prune images) are checked too.
func onFirst(t *testing.T, f *fixture, match func(*http.Request) bool, fn func()) *Engine {
	t.Helper()
	var once sync.Once
	return recordingEngine(t, f.raw, func(r *http.Request) {
		if r.Method == http.MethodDelete && strings.Contains(r.URL.Path, "/images/") && r.URL.Query().Get("force") == "1" {
			t.Errorf("%s %s: regprune never removes an image with force", r.Method, r.URL)
		}
		if match(r) {
			once.Do(fn)
		}
	})
}

// loadBig loads a 5 MB image.
func (f *fixture) loadBig(created time.Time, refs ...string) string {
	f.t.Helper()
	img, err := seed.Image(created, seed.Docker(), seed.WithLayerSize(5<<20))
	if err != nil {
		f.t.Fatal(err)
	}
	return f.loadImage(img, refs...)
}

func isImageDelete(r *http.Request) bool {
	return r.Method == http.MethodDelete && strings.Contains(r.URL.Path, "/images/")
}

// TestTagAddedDuringApply: a tag another client adds to an image while
// apply removes its planned tag must survive: on Engine 20.10, removing
// the image by ID would take that last reference with it. The image is
// inspected again right before, kept, and reported "untagged" (its
// planned tag is gone) naming the new reference.
func TestTagAddedDuringApply(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now()
	repo, other := f.repo("app"), f.repo("other")
	id := f.load(now.Add(-10*24*time.Hour), repo+":old")
	dr := rules(t, retention.DockerCache{LocalOnly: "allow", Policies: []retention.Policy{{
		Name: "app", Repositories: []string{repo}, Keep: []retention.KeepRule{{Tags: []string{"no-such-tag"}}},
	}}}, 0)
	cp := Plan(ctx, f.e, dr, nil, now)
	noFailures(t, cp)
	if d := deletionsOf(cp, id); len(d) != 1 || d[0].Kind != retention.KindImage {
		t.Fatalf("want the image's deletion, got %+v", d)
	}
	e := onFirst(t, f, isImageDelete, func() { f.tag(id, other+":added") })

	rep := Apply(ctx, e, dr, cp, nil, now)

	noFailures(t, rep)
	d := deletionsOf(rep, id)[0]
	if d.Status != retention.StatusUntagged || !strings.Contains(d.Reason, other+":added") {
		t.Errorf("deletion = %+v, want untagged, naming %s:added", d, other)
	}
	if !f.exists(other + ":added") {
		t.Errorf("the tag added during apply was removed with the image")
	}
	if f.exists(repo + ":old") {
		t.Errorf("the planned tag is still there")
	}
}

// TestTagAddedToDanglingDuringApply: two dangling images go; another
// client tags the second while the first is removed. The second stays,
// with its new tag, and is reported skipped (nothing of it was removed).
func TestTagAddedToDanglingDuringApply(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now()
	a := f.load(now.Add(-10 * 24 * time.Hour))
	b := f.load(now.Add(-10 * 24 * time.Hour))
	mine := map[string]bool{a: true, b: true}
	dr := rules(t, retention.DockerCache{Dangling: retention.Duration(48 * time.Hour)}, 0)
	cp := Plan(ctx, f.e, dr, nil, now)
	noFailures(t, cp)
	// The engine is shared: apply only this test's deletions.
	for i := range cp.Repositories {
		var own []retention.Deletion
		for _, d := range cp.Repositories[i].Deletions {
			if mine[d.Digest] {
				own = append(own, d)
			}
		}
		cp.Repositories[i].Deletions = own
	}
	if len(deletionsOf(cp, a)) != 1 || len(deletionsOf(cp, b)) != 1 {
		t.Fatalf("want both dangling images planned, got %+v", cp.Repositories)
	}
	added := f.repo("rescued") + ":1"
	var once sync.Once
	e := recordingEngine(t, f.raw, func(r *http.Request) {
		if !isImageDelete(r) {
			return
		}
		once.Do(func() {
			// The first removal is of a or b: tag the other one.
			target := b
			if strings.Contains(r.URL.Path, strings.TrimPrefix(b, "sha256:")) {
				target = a
			}
			f.tag(target, added)
		})
	})

	rep := Apply(ctx, e, dr, cp, nil, now)

	noFailures(t, rep)
	if !f.exists(added) {
		t.Fatalf("the tag added during apply was removed with its dangling image")
	}
	var rescued retention.Deletion
	for _, id := range []string{a, b} {
		if d := deletionsOf(rep, id)[0]; d.Status != retention.StatusDeleted {
			rescued = d
		}
	}
	if rescued.Status != retention.StatusSkipped || !strings.Contains(rescued.Reason, added) {
		t.Errorf("rescued image's deletion = %+v, want skipped, naming %s", rescued, added)
	}
}

// TestReclaimedIgnoresOtherClients: an image another client removes while
// apply runs frees space this run must not claim: with nothing removed
// by the run, it reclaimed 0, and a note says the disk usage fell.
func TestReclaimedIgnoresOtherClients(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now()
	repo, bystander := f.repo("app"), f.repo("bystander")
	f.load(now.Add(-10*24*time.Hour), repo+":keep")
	big := f.loadBig(now, bystander+":1")
	dr := rules(t, retention.DockerCache{LocalOnly: "allow", Policies: []retention.Policy{{
		Name: "app", Repositories: []string{repo}, Keep: []retention.KeepRule{{Tags: []string{"keep"}}},
	}}}, 0)
	cp := Plan(ctx, f.e, dr, nil, now)
	noFailures(t, cp)
	e := onFirst(t, f, func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/images/json") }, func() {
		if _, err := f.raw.cli.ImageRemove(ctx, big, client.ImageRemoveOptions{Force: true}); err != nil {
			t.Errorf("removing the bystander: %v", err)
		}
	})

	rep := Apply(ctx, e, dr, cp, nil, now)

	if f.exists(big) {
		t.Fatal("the bystander image was not removed; the test proves nothing")
	}
	if rep.ReclaimedBytes == nil || *rep.ReclaimedBytes != 0 {
		t.Errorf("ReclaimedBytes = %v, want 0: this run removed nothing (notes %q)", deref(rep.ReclaimedBytes), rep.Notes)
	}
	if !strings.Contains(strings.Join(rep.Notes, "\n"), "another client removed images") {
		t.Errorf("no note on the space another client freed: %q", rep.Notes)
	}
}
