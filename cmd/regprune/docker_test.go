package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
)

// engineClient connects to the machine's Docker Engine; without one the
// test is skipped, or fails under CI=true.
func engineClient(t *testing.T) *client.Client {
	t.Helper()
	registrytest.LockEngine(t)
	cli, err := client.New(client.FromEnv)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err = cli.Ping(ctx, client.PingOptions{})
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and no docker engine: %v", err)
		}
		t.Skipf("no docker engine: %v", err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// TestApplyFollowsRemote: one apply cleans the registry, then removes the
// local references (and the images) of exactly the digests it deleted
// there; the kept release stays on the engine.
func TestApplyFollowsRemote(t *testing.T) {
	t.Parallel()
	cli := engineClient(t)
	reg := registrytest.StartDistribution(t)
	ctx := context.Background()
	var b [4]byte
	_, _ = rand.Read(b[:])
	repo := reg.Repo("regprune-e2e-" + hex.EncodeToString(b[:]) + "/app")
	now := time.Now()
	var refs []string
	for i, tag := range []string{"v1.0.0", "v1.1.0", "v1.2.0"} {
		img, err := seed.Image(now.Add(-time.Duration(72-i) * time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		ref := repo + ":" + tag
		if _, err := seed.Push(ctx, ref, img); err != nil {
			t.Fatal(err)
		}
		res, err := cli.ImagePull(ctx, ref, client.ImagePullOptions{})
		if err != nil {
			t.Fatalf("pulling %s: %v", ref, err)
		}
		if err := res.Wait(ctx); err != nil {
			t.Fatalf("pulling %s: %v", ref, err)
		}
		io.Copy(io.Discard, res)
		res.Close()
		refs = append(refs, ref)
	}
	t.Cleanup(func() {
		for _, ref := range refs {
			cli.ImageRemove(context.Background(), ref, client.ImageRemoveOptions{PruneChildren: true})
		}
	})
	cfg := writeConfig(t, fmt.Sprintf(`registries:
  - host: %s
    insecure: true
policies:
  - name: releases
    repositories: ["%s"]
    keep: [{semver: {highest: 1}}]
local:
  docker:
    followRemote: true
`, reg.Host, repo))
	r := runCLI(t, nil, "apply", "-c", cfg, "-o", "json")
	if r.code != 0 {
		t.Fatalf("apply: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var p retention.Plan
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Local) != 1 || p.Local[0].Kind != "docker" || p.Local[0].Error != "" {
		t.Fatalf("want one docker cache without error, got %+v", p.Local)
	}
	present := func(ref string) bool {
		list, err := cli.ImageList(ctx, client.ImageListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range list.Items {
			for _, tag := range s.RepoTags {
				if tag == ref {
					return true
				}
			}
		}
		return false
	}
	for i, ref := range refs {
		want := i == 2 // only v1.2.0 is kept in the registry, so only it stays here
		if got := present(ref); got != want {
			t.Errorf("after apply, %s present on the engine = %v, want %v\n%s", ref, got, want, r.stdout)
		}
	}
	if p.Summary.LocalFailed != 0 || p.Local[0].ReclaimedBytes == nil {
		t.Errorf("local summary: %+v, reclaimed %v", p.Summary, p.Local[0].ReclaimedBytes)
	}

	// Under --scope local there is nothing to follow, and the report says so.
	r = runCLI(t, nil, "plan", "-c", cfg, "--scope", "local", "-o", "text")
	if r.code != 0 || !strings.Contains(r.stdout, "nothing to follow under --scope local") {
		t.Errorf("--scope local: exit %d, want a note on followRemote:\n%s", r.code, r.stdout)
	}
}

// TestUnreachableEngine: an engine that cannot be reached fails its cache
// (exit 1, the cache named) and the registry part is still planned.
func TestUnreachableEngine(t *testing.T) {
	t.Parallel()
	reg := registrytest.InMemory(t, false)
	if _, err := seed.History(context.Background(), reg.Repo("acme/app"), []seed.Entry{{Tag: "v1.0.0", Created: time.Now().Add(-time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	sock := "unix://" + t.TempDir() + "/no-such-docker.sock"
	cfg := writeConfig(t, fmt.Sprintf(`policies:
  - name: p
    repositories: ["%s"]
    keep: [{semver: {highest: 1}}]
local:
  docker:
    host: %s
    dangling: 24h
`, reg.Repo("acme/app"), sock))
	r := runCLI(t, nil, "plan", "-c", cfg, "-o", "json")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	var p retention.Plan
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Local) != 1 || !strings.Contains(p.Local[0].Error, "no-such-docker.sock") {
		t.Errorf("want the docker cache failed, naming its host: %+v", p.Local)
	}
	if len(p.Repositories) != 1 || p.Repositories[0].Error != "" || len(p.Repositories[0].Tags) != 1 {
		t.Errorf("the registry part should still be planned: %+v", p.Repositories)
	}
}
