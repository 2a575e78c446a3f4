package docker

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/regprune/regprune/retention"
)

// TestConflictSkipped: the engine refuses to delete an image with a child
// (409). The deletion is not failed and never forced: its tag is gone,
// so it is reported "untagged" (not "skipped", which would say nothing
// was removed), with the engine's reason.
func TestConflictSkipped(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now()
	parent, child := f.repo("parent"), f.repo("child")
	pid := f.load(now.Add(-10*24*time.Hour), parent+":old")
	c := f.createContainer(parent + ":old")
	if _, err := f.e.cli.ContainerCommit(ctx, c, client.ContainerCommitOptions{Reference: child + ":1"}); err != nil {
		t.Fatalf("committing: %v", err)
	}
	if _, err := f.raw.cli.ContainerRemove(ctx, c, client.ContainerRemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	f.containers = nil

	dr := rules(t, retention.DockerCache{LocalOnly: "allow", Policies: []retention.Policy{{
		Name: "parent", Repositories: []string{parent}, Keep: []retention.KeepRule{{Tags: []string{"no-such-tag"}}},
	}}}, 0)
	cp := Plan(ctx, f.e, dr, nil, now)
	noFailures(t, cp)
	if d := deletionsOf(cp, pid); len(d) != 1 || d[0].Kind != retention.KindImage {
		t.Fatalf("want the parent's image deletion, got %+v", d)
	}
	rep := Apply(ctx, f.e, dr, cp, nil, now)
	noFailures(t, rep)
	d := deletionsOf(rep, pid)[0]
	t.Logf("parent: %s: %s", d.Status, d.Reason)
	if d.Status != retention.StatusUntagged || !strings.Contains(d.Reason, "conflict") || !strings.Contains(d.Reason, parent+":old removed") || d.Error != "" {
		t.Errorf("parent deletion = %+v, want untagged, naming the removed tag and the engine's conflict", d)
	}
	if rep.Repositories[0].Deletions == nil || f.exists(parent+":old") {
		t.Errorf("the parent's tag is still there")
	}
	if !f.exists(pid) || !f.exists(child+":1") {
		t.Errorf("the parent or the child is gone")
	}
}

// TestInUseSincePlan: a container created between plan and apply makes
// apply skip the deletion; the image and its tags stay.
func TestInUseSincePlan(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now()
	repo := f.repo("late")
	id := f.load(now.Add(-10*24*time.Hour), repo+":1", repo+":2")
	dr := rules(t, retention.DockerCache{LocalOnly: "allow", Policies: []retention.Policy{{
		Name: "late", Repositories: []string{repo}, Keep: []retention.KeepRule{{Tags: []string{"no-such-tag"}}},
	}}}, 0)
	cp := Plan(ctx, f.e, dr, nil, now)
	if d := deletionsOf(cp, id); len(d) != 1 || d[0].Kind != retention.KindImage {
		t.Fatalf("want an image deletion, got %+v", d)
	}
	name := f.createContainer(id)
	rep := Apply(ctx, f.e, dr, cp, nil, now)
	noFailures(t, rep)
	d := deletionsOf(rep, id)[0]
	if d.Status != retention.StatusSkipped || !strings.Contains(d.Reason, name) {
		t.Errorf("deletion = %+v, want skipped naming container %s", d, name)
	}
	if !f.exists(repo+":1") || !f.exists(repo+":2") {
		t.Errorf("tags of an image in use were removed")
	}
}
