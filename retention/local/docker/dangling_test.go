package docker

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/regprune/regprune/retention"
)

// TestDangling removes dangling images older than the duration by their
// creation time, keeps young ones, unknown times and ones in use, and
// lists exactly what goes, so the dry run is exact.
func TestDangling(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	day := 24 * time.Hour
	oldID := f.load(now.Add(-10 * day))
	youngID := f.load(now.Add(-time.Hour))
	reproID := f.load(time.Unix(0, 0))
	usedID := f.load(now.Add(-10 * day))
	f.createContainer(usedID)
	ctx := context.Background()

	dr := rules(t, retention.DockerCache{Dangling: retention.Duration(2 * day)}, 0)
	cp := Plan(ctx, f.e, dr, nil, now)
	noFailures(t, cp)
	var rp *retention.RepoPlan
	for i := range cp.Repositories {
		if cp.Repositories[i].Repository == danglingRepo {
			rp = &cp.Repositories[i]
		}
	}
	if rp == nil {
		t.Fatalf("no %s entry in %+v", danglingRepo, cp.Repositories)
	}
	mine := map[string]bool{oldID: true, youngID: true, reproID: true, usedID: true}
	got := map[string]retention.Action{}
	for _, td := range rp.Tags {
		if mine[td.Digest] {
			got[td.Digest] = td.Action
		}
	}
	want := map[string]retention.Action{oldID: retention.Delete, youngID: retention.Keep, reproID: retention.Keep, usedID: retention.Keep}
	for id, a := range want {
		if got[id] != a {
			t.Errorf("dangling %s: %s, want %s", id, got[id], a)
		}
	}
	// The engine is shared: apply only this test's deletions.
	var own []retention.Deletion
	for _, d := range rp.Deletions {
		if mine[d.Digest] {
			own = append(own, d)
		}
	}
	if len(own) != 1 || own[0].Digest != oldID || own[0].Kind != retention.KindImage || !strings.Contains(own[0].Reason, "older than dangling 2d") {
		t.Fatalf("dangling deletions = %+v, want %s only", own, oldID)
	}
	rp.Deletions = own
	for i := range cp.Repositories {
		if cp.Repositories[i].Repository != danglingRepo {
			cp.Repositories[i].Deletions = nil
		}
	}
	noFailures(t, Apply(ctx, f.e, dr, cp, nil, now))
	for id, want := range map[string]bool{oldID: false, youngID: true, reproID: true, usedID: true} {
		if f.exists(id) != want {
			t.Errorf("dangling %s exists = %v, want %v", id, !want, want)
		}
	}

	// Unset, dangling images are left alone.
	cp = Plan(ctx, f.e, rules(t, retention.DockerCache{}, 0), nil, now)
	for _, rp := range cp.Repositories {
		if rp.Repository == danglingRepo {
			t.Errorf("dangling unset: got %+v", rp)
		}
	}
}
