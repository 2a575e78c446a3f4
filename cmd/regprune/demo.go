package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/spf13/cobra"

	"github.com/regprune/regprune/internal/emulator"
	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/job"
	"github.com/regprune/regprune/retention/registry"
	"github.com/regprune/regprune/retention/registry/oci"
)

// demoConfig is the policy the demo runs, shaped like config.example.yaml.
// HOST is replaced by the embedded registry's address.
const demoConfig = `# regprune demo policy
minAge: 24h
protect:
  tags: ["latest", "/^release-.+$/"]
GHCRREGISTRY
policies:
  - name: api
    repositories: ["HOST/acme/api", "HOST/acme/web-*"]
    keep:
      - tags: ["v*"]
        semver: {highest: 3}
      - tags: ["main-*", "pr-*"]
        newest: 3
      - youngerThan: 14d
      - tags: ["stable"]
GHCRPOLICYlocal:
  layouts:
    - path: LAYOUT
      policies:
        - keep:
            - semver: {highest: 2}
            - tags: ["main-*"]
              newest: 1
`

func newDemoCmd(e *env) *cobra.Command {
	// The demo covers everything it seeds, whatever REGPRUNE_SHARDS says.
	f := runFlags{scope: scopeAll}
	f.shard = "0/1"
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Plan and apply against an embedded registry seeded with a realistic history (no network, no Docker)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			logger, err := f.logger(e)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			now := e.now()
			host, ghcr, stop, err := startDemoRegistries(ctx, now, logger)
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			defer stop()
			dir, err := os.MkdirTemp("", "regprune-demo-")
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			defer os.RemoveAll(dir)
			layoutDir := filepath.Join(dir, "oci-cache")
			if err := seedDemoLayout(layoutDir, now); err != nil {
				return &exitError{code: exitFailure, err: fmt.Errorf("seeding the demo layout: %w", err)}
			}
			f.configPath = filepath.Join(dir, "regprune.yaml")
			demo, err := writeDemoConfig(f.configPath, host, ghcr.Host, ghcr.APIURL, layoutDir)
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			// From here the demo is plan and apply, as those commands run.
			s, err := f.begin(cmd, e)
			if err != nil {
				return err
			}
			// In JSON mode stdout holds exactly one document (the apply
			// report); the narration goes to stderr.
			narrate := e.stdout
			if s.format.IsJSON() {
				narrate = e.stderr
			}
			fmt.Fprintf(narrate, "regprune demo: an embedded registry at %s, seeded with two repositories; a GHCR emulator at %s (its Packages API at %s), seeded with one package; and an OCI layout cache at %s.\nPolicy:\n\n%s\n\n== regprune plan\n", host, ghcr.Host, ghcr.APIURL, layoutDir, indent(demo))
			router, err := s.demoRouter(e)
			if err != nil {
				return err
			}
			p := job.Plan(ctx, router, s.runOptions())
			if !s.format.IsJSON() {
				if err := f.writeTo(e.stdout, p, s.format); err != nil {
					return err
				}
			}
			fmt.Fprintf(narrate, "\n== regprune apply\n")
			out := job.Apply(ctx, router, p, false, s.runOptions())
			if err := f.writeReport(e, out, s.format); err != nil {
				return err
			}
			if err := narrateRemains(ctx, narrate, router, out, layoutDir); err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			return applyExit(ctx.Err() != nil, out)
		},
	}
	f.addLogFlags(cmd)
	f.addOutputFlags(cmd)
	cmd.Flags().Lookup("log-level").DefValue = "warn"
	f.logLevel = "warn"
	return cmd
}

// startDemoRegistries starts and seeds the embedded registry and the
// GHCR emulator; stop stops both.
func startDemoRegistries(ctx context.Context, now time.Time, logger *slog.Logger) (host string, ghcr *emulator.GHCR, stop func(), err error) {
	host, stopReg, err := startDemoRegistry()
	if err != nil {
		return "", nil, nil, err
	}
	ghcr, err = startDemoGHCR(ctx, now)
	if err != nil {
		stopReg()
		return "", nil, nil, err
	}
	stop = func() { ghcr.Close(); stopReg() }
	logger.Info("seeding the embedded registry", "host", host)
	if err := seedDemo(ctx, host, now); err != nil {
		stop()
		return "", nil, nil, fmt.Errorf("seeding the demo registry: %w", err)
	}
	return host, ghcr, stop, nil
}

// writeDemoConfig writes the demo's configuration, for the embedded
// registry at host, the GHCR emulator and the layout, and returns it.
func writeDemoConfig(path, host, ghcrHost, ghcrAPI, layoutDir string) (string, error) {
	demo := strings.NewReplacer("GHCRREGISTRY\n", demoGHCRRegistry, "GHCRPOLICY", demoGHCRPolicy).Replace(demoConfig)
	demo = strings.NewReplacer("GHOST", ghcrHost, "GAPI", ghcrAPI, "HOST", host, "LAYOUT", layoutDir).Replace(demo)
	return demo, os.WriteFile(path, []byte(demo), 0o600)
}

// demoRouter is the demo's registry access, as apply's.
func (s *session) demoRouter(e *env) (*registry.Router, error) {
	client, err := oci.New(s.cfg.Registries, oci.WithConcurrency(s.cfg.Concurrency), oci.WithLogger(s.log), oci.WithDeleteScope())
	if err != nil {
		return nil, err
	}
	return s.router(e, client)
}

// narrateRemains shows what the demo's apply left: the tags of every
// repository and the layout's entries.
func narrateRemains(ctx context.Context, w io.Writer, client interface {
	ListTags(ctx context.Context, repo string) ([]string, error)
}, out *retention.Plan, layoutDir string) error {
	fmt.Fprintf(w, "\n== what remains in the registry\n")
	for _, rp := range out.Repositories {
		tags, err := client.ListTags(ctx, rp.Repository)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s (%d tags):\n%s\n", rp.Repository, len(tags), indent(strings.Join(tags, "\n")))
	}
	refs, err := layoutRefs(layoutDir)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s (%d entries):\n%s\n", layoutDir, len(refs), indent(strings.Join(refs, "\n")))
	return nil
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

// startDemoRegistry serves go-containerregistry's in-memory registry on a
// loopback port.
func startDemoRegistry() (host string, stop func(), err error) {
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

// seedDemo pushes a realistic history: semver releases with prereleases,
// branch and pull-request builds spread over months, multi-arch indexes, a
// signed image, tags sharing a digest, and a reproducible build from 1970.
func seedDemo(ctx context.Context, host string, now time.Time) error {
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

// seedDemoLayout writes an OCI layout cache as a CI cache folder holds
// them: releases and branch builds of two images, written over the past
// months (back-dated, since pruning leaves fresh blobs alone).
func seedDemoLayout(dir string, now time.Time) error {
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

// layoutRefs lists the ref names of a layout's entries.
func layoutRefs(dir string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		return nil, err
	}
	var idx struct {
		Manifests []struct {
			Digest      string            `json:"digest"`
			Annotations map[string]string `json:"annotations"`
		} `json:"manifests"`
	}
	if err := json.Unmarshal(b, &idx); err != nil {
		return nil, fmt.Errorf("reading %s/index.json: %w", dir, err)
	}
	var out []string
	for _, m := range idx.Manifests {
		ref := m.Annotations["org.opencontainers.image.ref.name"]
		if ref == "" {
			ref = "(no ref name) " + m.Digest
		}
		out = append(out, ref)
	}
	return out, nil
}
