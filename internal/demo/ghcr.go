package demo

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/regprune/regprune/internal/emulator"
	"github.com/regprune/regprune/internal/seed"
)

// The demo's GHCR: the emulator of internal/emulator, on loopback,
// with one organization and a classic token that may delete.
const (
	ghcrOwner = "acme"
	ghcrToken = "ghp_demo"
)

// ghcrRegistry and ghcrPolicy are the demo's GHCR part: the registry entry and the
// policy. GHOST and GAPI are the emulator's registry host and REST base.
const ghcrRegistry = `registries:
  - host: GHOST
    insecure: true
    api: github
    apiURL: GAPI
    username: demo
    password: ` + ghcrToken + `
`

const ghcrPolicy = `  - name: ghcr
    repositories: ["GHOST/acme/app"]
    clock: pushed
    keep:
      - tags: ["v*"]
        semver: {highest: 2}
      - tags: ["main-*"]
        newest: 2
    untagged: {olderThan: 7d}
`

// pushClock is the emulator's clock, set back while the history is
// pushed so that versions carry push times of months ago.
type pushClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *pushClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *pushClock) set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// startGHCR starts the emulator and seeds acme/app: releases (two of
// them multi-arch, whose platform images are untagged versions), a
// signed old release, main builds, a pull-request tag on a kept build,
// and untagged leftovers of failed pushes, old and new.
func startGHCR(ctx context.Context, now time.Time) (*emulator.GHCR, error) {
	clock := &pushClock{now: now}
	g := emulator.StartGHCR(emulator.WithGHCROrg(ghcrOwner), emulator.WithGHCRClock(clock.Now),
		emulator.WithGHCRToken(ghcrToken, "demo", emulator.TokenClassic, "read:packages", "write:packages", "delete:packages"))
	repo := g.Repo(ghcrOwner, "app")
	auth := remote.WithAuth(&authn.Basic{Username: "demo", Password: ghcrToken})
	ago := func(days float64) time.Time { return now.Add(-time.Duration(days * float64(24*time.Hour))) }
	for _, batch := range []struct {
		days    float64
		entries []seed.Entry
	}{
		{300, []seed.Entry{{Tag: "v1.0.0"}, {Kind: seed.KindSignature, Of: "v1.0.0"}, {Tag: "v1.1.0", Kind: seed.KindIndex}}},
		{120, []seed.Entry{{Tag: "v1.2.0", Kind: seed.KindIndex}, {Tag: "main-a11ce01"}, {Tag: "main-a11ce02"}}},
		{40, []seed.Entry{{Tag: "v2.0.0", Kind: seed.KindIndex}, {Tag: "main-a11ce03"}, {Tag: "pr-7", Kind: seed.KindAlias, Of: "main-a11ce03"}}},
		{2, []seed.Entry{{Tag: "main-a11ce04"}}},
	} {
		clock.set(ago(batch.days))
		for i := range batch.entries {
			batch.entries[i].Created = ago(batch.days)
		}
		if _, err := seed.History(ctx, repo, batch.entries, auth); err != nil {
			g.Close()
			return nil, fmt.Errorf("seeding the demo GHCR: %w", err)
		}
	}
	// Failed pushes leave untagged versions: one a month old, one new.
	for _, days := range []float64{30, 1} {
		clock.set(ago(days))
		img, err := seed.Image(ago(days))
		if err == nil {
			_, err = seed.PushByDigest(ctx, repo, img, auth)
		}
		if err != nil {
			g.Close()
			return nil, fmt.Errorf("seeding the demo GHCR: %w", err)
		}
	}
	clock.set(now)
	return g, nil
}
