// Package demo is the world `regprune demo` runs in: an embedded
// registry and a GHCR emulator on loopback, and an OCI layout cache,
// seeded with a realistic history, and the policy for them. The command
// keeps its flags and its output; it plans and applies as plan and
// apply do.
package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/regprune/regprune/internal/emulator"
	"github.com/regprune/regprune/retention"
)

// config is the policy the demo runs, shaped like config.example.yaml.
// HOST is replaced by the embedded registry's address.
const config = `# regprune demo policy
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

// Demo is the demo's world, started and seeded.
type Demo struct {
	// Host is the embedded registry's address.
	Host string
	// GHCR is the GHCR emulator.
	GHCR *emulator.GHCR
	// Layout is the OCI layout cache's folder.
	Layout string
	// ConfigPath is the file Config is written to.
	ConfigPath string
	// Config is the demo's configuration.
	Config string

	dir  string
	stop func()
}

// Start starts and seeds the embedded registry, the GHCR emulator and
// the layout, with a history as of now, and writes the configuration in
// a temporary folder. Close stops and removes them.
func Start(ctx context.Context, now time.Time, logger *slog.Logger) (*Demo, error) {
	host, ghcr, stop, err := startRegistries(ctx, now, logger)
	if err != nil {
		return nil, err
	}
	d := &Demo{Host: host, GHCR: ghcr, stop: stop}
	if d.dir, err = os.MkdirTemp("", "regprune-demo-"); err != nil {
		d.Close()
		return nil, err
	}
	d.Layout = filepath.Join(d.dir, "oci-cache")
	if err := seedLayout(d.Layout, now); err != nil {
		d.Close()
		return nil, fmt.Errorf("seeding the demo layout: %w", err)
	}
	d.ConfigPath = filepath.Join(d.dir, "regprune.yaml")
	d.Config = strings.NewReplacer("GHCRREGISTRY\n", ghcrRegistry, "GHCRPOLICY", ghcrPolicy).Replace(config)
	d.Config = strings.NewReplacer("GHOST", ghcr.Host, "GAPI", ghcr.APIURL, "HOST", host, "LAYOUT", d.Layout).Replace(d.Config)
	if err := os.WriteFile(d.ConfigPath, []byte(d.Config), 0o600); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// Close stops the registries and removes the temporary folder.
func (d *Demo) Close() {
	if d.dir != "" {
		os.RemoveAll(d.dir)
	}
	d.stop()
}

// Intro is what the demo says before it plans: what it started, and
// the policy.
func (d *Demo) Intro() string {
	// One line each, so that the intro fits 120 columns as the reports do.
	return fmt.Sprintf("regprune demo, on loopback:\n"+
		"- an embedded registry at %s, seeded with two repositories;\n"+
		"- a GHCR emulator at %s (its Packages API at %s), seeded with one package;\n"+
		"- an OCI layout cache at %s.\nPolicy:\n\n%s\n\n", d.Host, d.GHCR.Host, d.GHCR.APIURL, d.Layout, indent(d.Config))
}

// startRegistries starts and seeds the embedded registry and the GHCR
// emulator; stop stops both.
func startRegistries(ctx context.Context, now time.Time, logger *slog.Logger) (host string, ghcr *emulator.GHCR, stop func(), err error) {
	host, stopReg, err := startRegistry()
	if err != nil {
		return "", nil, nil, err
	}
	ghcr, err = startGHCR(ctx, now)
	if err != nil {
		stopReg()
		return "", nil, nil, err
	}
	stop = func() { ghcr.Close(); stopReg() }
	logger.Info("seeding the embedded registry", "host", host)
	if err := seedRegistry(ctx, host, now); err != nil {
		stop()
		return "", nil, nil, fmt.Errorf("seeding the demo registry: %w", err)
	}
	return host, ghcr, stop, nil
}

// A TagLister lists the tags of a repository.
type TagLister interface {
	ListTags(ctx context.Context, repo string) ([]string, error)
}

// Remains shows on w what the demo's apply (its report out) left: the
// tags of every repository and the layout's entries.
func (d *Demo) Remains(ctx context.Context, w io.Writer, client TagLister, out *retention.Plan) error {
	fmt.Fprintf(w, "\n== what remains in the registry\n")
	for _, rp := range out.Repositories {
		tags, err := client.ListTags(ctx, rp.Repository)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s (%d tags):\n%s\n", rp.Repository, len(tags), indent(strings.Join(tags, "\n")))
	}
	refs, err := layoutRefs(d.Layout)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s (%d entries):\n%s\n", d.Layout, len(refs), indent(strings.Join(refs, "\n")))
	return nil
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
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
