package docker

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/client"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
)

// pull pushes a fresh image to the test registry as ref and pulls it
// through the engine, so that it has a real RepoDigest. It returns the
// image ID and the manifest digest.
func (f *fixture) pull(ref string, created time.Time) (id, digest string) {
	f.t.Helper()
	ctx := context.Background()
	img, err := seed.Image(created, seed.Docker(), seed.WithLayerSize(4096))
	if err != nil {
		f.t.Fatal(err)
	}
	if digest, err = seed.Push(ctx, ref, img); err != nil {
		f.t.Fatal(err)
	}
	cfg, err := img.ConfigName()
	if err != nil {
		f.t.Fatal(err)
	}
	f.mu.Lock()
	f.images[cfg.String()] = true
	f.mu.Unlock()
	res, err := f.e.cli.ImagePull(ctx, ref, client.ImagePullOptions{})
	if err != nil {
		f.t.Fatalf("pulling %s: %v", ref, err)
	}
	if err := res.Wait(ctx); err != nil {
		f.t.Fatalf("pulling %s: %v", ref, err)
	}
	io.Copy(io.Discard, res)
	res.Close()
	return cfg.String(), digest
}

// TestFollowRemote: images pulled from a registry lose their references
// to a repository whose digest the run deleted there; an image goes only
// when no reference remains.
func TestFollowRemote(t *testing.T) {
	f := newFixture(t)
	reg := registrytest.InMemory(t, false)
	app := reg.Repo(f.repo("app"))
	keep := f.repo("keep")
	now := time.Now()
	idA, digA := f.pull(app+":1", now.Add(-time.Hour))
	idB, digB := f.pull(app+":2", now.Add(-time.Hour))
	idC, _ := f.pull(app+":3", now.Add(-time.Hour))
	f.tag(app+":1", keep+":1") // A has a reference elsewhere

	dr := rules(t, retention.DockerCache{FollowRemote: true}, 0)
	remote := map[string][]string{app: {digA, digB}}
	ctx := context.Background()
	cp := Plan(ctx, f.e, dr, remote, now)
	noFailures(t, cp)

	dA := deletionsOf(cp, idA)
	wantA := []string{app + ":1", app + "@" + digA}
	if len(dA) != 1 || dA[0].Kind != retention.KindTag || !cmp.Equal(dA[0].Tags, wantA) {
		t.Errorf("image A: want a tag deletion of %v, got %+v", wantA, dA)
	}
	dB := deletionsOf(cp, idB)
	wantB := []string{app + ":2", app + "@" + digB}
	if len(dB) != 1 || dB[0].Kind != retention.KindImage || !cmp.Equal(dB[0].Tags, wantB) {
		t.Errorf("image B: want an image deletion with %v, got %+v", wantB, dB)
	}
	if d := deletionsOf(cp, idC); len(d) != 0 {
		t.Errorf("image C (digest not deleted remotely): got %+v", d)
	}
	if td := tagDecision(t, cp, app, "2"); td.Action != retention.Delete || !strings.Contains(td.Reasons[0], "followRemote") {
		t.Errorf("%s:2 = %s %q, want delete by followRemote", app, td.Action, td.Reasons)
	}

	rep := Apply(ctx, f.e, dr, cp, remote, now)
	noFailures(t, rep)
	if f.exists(app+":1") || f.exists(app+"@"+digA) || !f.exists(keep+":1") || !f.exists(idA) {
		t.Errorf("image A: want its %s references gone and %s:1 kept", app, keep)
	}
	if f.exists(idB) {
		t.Errorf("image B: still there with no reference left")
	}
	if !f.exists(app + ":3") {
		t.Errorf("image C: removed")
	}

	// Without followRemote nothing is followed.
	cp = Plan(ctx, f.e, rules(t, retention.DockerCache{}, 0), map[string][]string{app: {digA, digB}}, now)
	if len(cp.Repositories) != 0 {
		t.Errorf("followRemote off: got %+v", cp.Repositories)
	}
}
