package docker

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
)

// TestSemverAndNewest runs semver and newest on real images, follows a
// shared image ID to a tag-only deletion, matches a policy by the
// normalized name, and checks that the bytes the plan estimates are the
// bytes the engine's disk usage loses.
func TestSemverAndNewest(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now()
	day := 24 * time.Hour
	api, web, other := f.repo("api"), f.repo("web"), f.repo("other")
	v100 := f.load(now.Add(-9*day), api+":1.0.0")
	v110 := f.load(now.Add(-8*day), api+":1.1.0")
	v200 := f.load(now.Add(-7*day), api+":2.0.0")
	v210 := f.load(now.Add(-6*day), api+":2.1.0", api+":latest")
	w1 := f.load(now.Add(-3*day), web+":a", other+":pinned")
	w2 := f.load(now.Add(-2*day), web+":b")
	w3 := f.load(now.Add(-1*day), web+":c")
	// Two images on one base layer: the newer keeps the base, so only
	// the older one's top layer is freed.
	base := f.repo("base")
	b1 := f.loadImage(onBase(t, now.Add(-5*day), now.Add(-6*day)), base+":1")
	b2 := f.loadImage(onBase(t, now.Add(-4*day), now.Add(-6*day)), base+":2")

	dr := rules(t, retention.DockerCache{
		LocalOnly: "allow", // loaded images have no RepoDigests
		Policies: []retention.Policy{
			{Name: "api", Repositories: []string{api}, Keep: []retention.KeepRule{
				{Semver: &retention.SemverRule{Highest: 1, GroupBy: "major"}},
				{Tags: []string{"latest"}},
			}},
			// The normalized name matches too.
			{Name: "web", Repositories: []string{"docker.io/" + web}, Clock: clockCreated,
				Keep: []retention.KeepRule{{Newest: 2}}},
			{Name: "base", Repositories: []string{base}, Clock: clockCreated,
				Keep: []retention.KeepRule{{Newest: 1}}},
		},
	}, 0)
	cp := Plan(ctx, f.e, dr, nil, now)
	noFailures(t, cp)
	want := map[string]retention.Action{
		api + ":1.0.0": retention.Delete, api + ":1.1.0": retention.Keep,
		api + ":2.0.0": retention.Delete, api + ":2.1.0": retention.Keep, api + ":latest": retention.Keep,
		web + ":a": retention.Delete, web + ":b": retention.Keep, web + ":c": retention.Keep,
		base + ":1": retention.Delete, base + ":2": retention.Keep,
	}
	if diff := cmp.Diff(want, decisions(cp)); diff != "" {
		t.Errorf("decisions (-want +got):\n%s", diff)
	}
	if d := deletionsOf(cp, w1); len(d) != 1 || d[0].Kind != retention.KindTag || !cmp.Equal(d[0].Tags, []string{web + ":a"}) {
		t.Errorf("shared image %s: want one tag deletion of %s:a, got %+v", w1, web, d)
	}
	for _, id := range []string{v100, v200} {
		if d := deletionsOf(cp, id); len(d) != 1 || d[0].Kind != retention.KindImage {
			t.Errorf("image %s: want one image deletion, got %+v", id, d)
		}
	}
	// Two images of 4 KiB go, and the top layer of base:1; the base
	// layer it shares with base:2 stays.
	if cp.EstimatedBytes != 3*4096 {
		t.Errorf("EstimatedBytes = %d, want %d", cp.EstimatedBytes, 3*4096)
	}
	if !strings.Contains(strings.Join(cp.Notes, "\n"), "API "+f.e.APIVersion) {
		t.Errorf("notes do not name the API version: %q", cp.Notes)
	}

	rep := Apply(ctx, f.e, dr, cp, nil, now)
	noFailures(t, rep)
	for id, want := range map[string]bool{v100: false, v110: true, v200: false, v210: true, w1: true, w2: true, w3: true, b1: false, b2: true} {
		if got := f.exists(id); got != want {
			t.Errorf("image %s exists = %v, want %v", id, got, want)
		}
	}
	if f.exists(web+":a") || !f.exists(other+":pinned") {
		t.Errorf("want %s:a removed and %s:pinned kept", web, other)
	}
	if rep.ReclaimedBytes == nil || *rep.ReclaimedBytes != cp.EstimatedBytes {
		t.Errorf("ReclaimedBytes = %v, want the estimate %d (notes %q)", deref(rep.ReclaimedBytes), cp.EstimatedBytes, rep.Notes)
	}
}

// onBase returns an image created at created: a 4 KiB layer on a base
// layer that every call with the same baseCreated shares.
func onBase(t *testing.T, created, baseCreated time.Time) v1.Image {
	t.Helper()
	baseMu.Lock()
	defer baseMu.Unlock()
	if baseImg == nil {
		img, err := seed.Image(baseCreated, seed.Docker(), seed.WithLayerSize(4096))
		if err != nil {
			t.Fatal(err)
		}
		baseImg = img
	}
	top, err := random.Layer(4096, types.DockerLayer)
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(baseImg, top)
	if err != nil {
		t.Fatal(err)
	}
	img, err = mutate.CreatedAt(img, v1.Time{Time: created})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

var (
	baseMu  sync.Mutex
	baseImg v1.Image
)

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestClocks: arrived is LastTagTime, which a load leaves unset (then the
// creation time decides, and the report says so) and a tag sets; created
// is always the creation time; an implausible time is unknown and kept.
// A repository governed by both clocks keeps what either keeps.
func TestClocks(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	old := now.Add(-10 * 24 * time.Hour)
	arr, cre, mix := f.repo("arr"), f.repo("cre"), f.repo("mix")
	loaded := f.load(old, arr+":loaded", mix+":loaded")
	tagged := f.load(old, f.repo("tmp")+":x")
	f.tag(f.repo("tmp")+":x", arr+":tagged")
	f.tag(f.repo("tmp")+":x", cre+":tagged")
	f.tag(f.repo("tmp")+":x", mix+":tagged")
	f.load(time.Unix(0, 0), cre+":repro")

	young := []retention.KeepRule{{YoungerThan: retention.Duration(48 * time.Hour)}}
	dr := rules(t, retention.DockerCache{
		LocalOnly: "allow",
		Policies: []retention.Policy{
			{Name: "arrived", Repositories: []string{arr, mix}, Keep: young},
			{Name: "created", Repositories: []string{cre, mix}, Clock: clockCreated, Keep: young},
		},
	}, 0)
	cp := Plan(context.Background(), f.e, dr, nil, now)
	noFailures(t, cp)
	type dc struct {
		Action retention.Action
		Clock  string
	}
	got := map[string]dc{}
	for _, ref := range [][2]string{{arr, "loaded"}, {arr, "tagged"}, {cre, "tagged"}, {cre, "repro"}, {mix, "loaded"}, {mix, "tagged"}} {
		td := tagDecision(t, cp, ref[0], ref[1])
		got[ref[0]+":"+ref[1]] = dc{td.Action, td.Clock}
	}
	want := map[string]dc{
		arr + ":loaded": {retention.Delete, "created (never tagged locally)"},
		arr + ":tagged": {retention.Keep, "arrived"},
		cre + ":tagged": {retention.Delete, "created"},
		cre + ":repro":  {retention.Keep, "created"},
		mix + ":loaded": {retention.Delete, "created (never tagged locally), created"},
		mix + ":tagged": {retention.Keep, "arrived"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decisions (-want +got):\n%s", diff)
	}
	if d := deletionsOf(cp, loaded); len(d) != 1 || d[0].Kind != retention.KindImage {
		t.Errorf("loaded image: want one image deletion, got %+v", d)
	}
	if d := deletionsOf(cp, tagged); len(d) != 1 || d[0].Kind != retention.KindTag {
		t.Errorf("tagged image: want one tag deletion (%s:tagged), got %+v", cre, d)
	}
}

// TestInUseKeepsAllTags: a container (created, never started) protects
// its image with every tag, in every repository.
func TestInUseKeepsAllTags(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	old := now.Add(-10 * 24 * time.Hour)
	use, extra := f.repo("use"), f.repo("extra")
	used := f.load(old, use+":1", use+":2", extra+":x")
	unused := f.load(old, use+":3")
	name := f.createContainer(use + ":1")

	dr := rules(t, retention.DockerCache{
		LocalOnly: "allow",
		Policies: []retention.Policy{{Name: "none", Repositories: []string{f.prefix + "/**"},
			Keep: []retention.KeepRule{{Tags: []string{"no-such-tag"}}}}},
	}, 0)
	ctx := context.Background()
	cp := Plan(ctx, f.e, dr, nil, now)
	noFailures(t, cp)
	for _, ref := range [][2]string{{use, "1"}, {use, "2"}, {extra, "x"}} {
		td := tagDecision(t, cp, ref[0], ref[1])
		if td.Action != retention.Keep || !strings.Contains(strings.Join(td.Reasons, " "), name) {
			t.Errorf("%s:%s = %s %q, want keep naming container %s", ref[0], ref[1], td.Action, td.Reasons, name)
		}
	}
	if d := deletionsOf(cp, used); len(d) != 0 {
		t.Errorf("in-use image has deletions: %+v", d)
	}
	rep := Apply(ctx, f.e, dr, cp, nil, now)
	noFailures(t, rep)
	for _, ref := range []string{use + ":1", use + ":2", extra + ":x"} {
		if !f.exists(ref) {
			t.Errorf("%s was removed from an image in use", ref)
		}
	}
	if f.exists(unused) {
		t.Errorf("unused image %s was kept", unused)
	}
}

// TestLocalOnly: an image without RepoDigests is protected by default;
// allow lifts that only where a policy already deletes.
func TestLocalOnly(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	old := now.Add(-10 * 24 * time.Hour)
	gov, free := f.repo("gov"), f.repo("free")
	id := f.load(old, gov+":old")
	ungoverned := f.load(old, free+":old")
	policies := []retention.Policy{{Name: "gov", Repositories: []string{gov},
		Keep: []retention.KeepRule{{Tags: []string{"no-such-tag"}}}}}
	ctx := context.Background()

	cp := Plan(ctx, f.e, rules(t, retention.DockerCache{Policies: policies}, 0), nil, now)
	noFailures(t, cp)
	td := tagDecision(t, cp, gov, "old")
	if td.Action != retention.Keep || !strings.Contains(td.Reasons[0], "localOnly: protect") {
		t.Errorf("protect: %s:old = %s %q, want keep by localOnly", gov, td.Action, td.Reasons)
	}
	if len(deletionsOf(cp, id)) != 0 {
		t.Errorf("protect: deletions planned for a local-only image")
	}

	dr := rules(t, retention.DockerCache{Policies: policies, LocalOnly: "allow"}, 0)
	cp = Plan(ctx, f.e, dr, nil, now)
	noFailures(t, cp)
	if td := tagDecision(t, cp, gov, "old"); td.Action != retention.Delete {
		t.Errorf("allow: %s:old = %s %q, want delete", gov, td.Action, td.Reasons)
	}
	if len(deletionsOf(cp, ungoverned)) != 0 {
		t.Errorf("allow: an image no policy matches would be deleted")
	}
	noFailures(t, Apply(ctx, f.e, dr, cp, nil, now))
	if f.exists(id) || !f.exists(ungoverned) {
		t.Errorf("allow: want %s removed and %s kept", id, ungoverned)
	}
}
