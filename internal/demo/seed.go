package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"

	"github.com/regprune/regprune/internal/seed"
)

// startRegistry serves go-containerregistry's in-memory registry on a
// loopback port.
func startRegistry() (host string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("starting the demo registry: %w", err)
	}
	srv := &http.Server{
		Handler:           ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "demo registry:", err)
		}
	}()
	return ln.Addr().String(), func() { _ = srv.Close() }, nil
}

// seedRegistry pushes a realistic history: semver releases with prereleases,
// branch and pull-request builds spread over months, multi-arch indexes, a
// signed image, tags sharing a digest, and a reproducible build from 1970.
func seedRegistry(ctx context.Context, host string, now time.Time) error {
	ago := func(days float64) time.Time { return now.Add(-time.Duration(days * float64(24*time.Hour))) }
	epoch := time.Unix(0, 0).UTC()
	api := []seed.Entry{
		{Tag: "v1.0.0", Created: ago(300)},
		{Tag: "v1.0.1", Created: ago(280)},
		{Tag: "v1.1.0", Created: ago(200)},
		{Tag: "v1.1.1", Created: ago(190), Kind: seed.KindIndex},
		{Tag: "v1.2.0-rc.1", Created: ago(100)},
		{Tag: "v1.2.0", Created: ago(95), Kind: seed.KindIndex},
		{Tag: "v1.2.1", Created: ago(60), Kind: seed.KindIndex},
		{Tag: "stable", Kind: seed.KindAlias, Of: "v1.2.1"},
		{Tag: "v2.0.0-rc.1", Created: ago(20)},
		{Tag: "v2.0.0", Created: ago(10), Kind: seed.KindIndex},
		{Kind: seed.KindSignature, Of: "v2.0.0"},
		{Kind: seed.KindSignature, Of: "v1.0.0"},
		{Tag: "latest", Kind: seed.KindAlias, Of: "v2.0.0"},
		{Tag: "tools-repro", Created: epoch},
	}
	for i, days := range []float64{90, 75, 61, 45, 30, 21, 16, 9} {
		api = append(api, seed.Entry{Tag: fmt.Sprintf("main-%07x", 0xa11ce0+i*4099), Created: ago(days)})
	}
	for i, days := range []float64{70, 50, 33, 12} {
		api = append(api, seed.Entry{Tag: fmt.Sprintf("pr-%d", 101+i), Created: ago(days)})
	}
	// A pull-request build promoted to main: one digest, two tags.
	api = append(api, seed.Entry{Tag: "pr-105", Kind: seed.KindAlias, Of: fmt.Sprintf("main-%07x", 0xa11ce0+7*4099)})
	web := []seed.Entry{}
	for i, days := range []float64{120, 80, 40, 20, 5, 0.5} {
		web = append(web, seed.Entry{Tag: fmt.Sprintf("main-%d", 400+i), Created: ago(days)})
	}
	web = append(web, seed.Entry{Tag: "release-2026.10", Kind: seed.KindAlias, Of: "main-400"})
	if _, err := seed.History(ctx, host+"/acme/api", api); err != nil {
		return err
	}
	_, err := seed.History(ctx, host+"/acme/web-frontend", web)
	return err
}

// seedLayout writes an OCI layout cache as a CI cache folder holds
// them: releases and branch builds of two images, written over the past
// months (back-dated, since pruning leaves fresh blobs alone).
func seedLayout(dir string, now time.Time) error {
	ago := func(days float64) time.Time { return now.Add(-time.Duration(days * float64(24*time.Hour))) }
	_, err := seed.Layout(dir, []seed.LayoutEntry{
		{Ref: "oci.example.com/acme/api:v1.0.0", Created: ago(200)},
		{Ref: "oci.example.com/acme/api:v1.1.0", Created: ago(120)},
		{Ref: "oci.example.com/acme/api:v1.2.0", Created: ago(30), Index: true},
		{Ref: "oci.example.com/acme/api:main-41", Created: ago(20)},
		{Ref: "oci.example.com/acme/api:main-42", Created: ago(3)},
		{Ref: "oci.example.com/acme/web:v3.0.0", Created: ago(60)},
		{Ref: "oci.example.com/acme/web:v3.1.0", Created: ago(10)},
		{Ref: "", Created: ago(90)},
	}, 48*time.Hour)
	return err
}
