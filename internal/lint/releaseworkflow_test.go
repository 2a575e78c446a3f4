package lint

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// workflowJob is the part of a workflow's job these tests read.
type workflowJob struct {
	Permissions map[string]string `yaml:"permissions"`
	Steps       []actionStep      `yaml:"steps"`
}

func readWorkflow(t *testing.T, name string) map[string]workflowJob {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), ".github", "workflows", name))
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Jobs map[string]workflowJob `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(b, &wf); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return wf.Jobs
}

// jobStep returns the job's step with that id, or the first that uses
// an action whose name starts with uses.
func jobStep(t *testing.T, job workflowJob, id, uses string) actionStep {
	t.Helper()
	for _, s := range job.Steps {
		if (id != "" && s.ID == id) || (uses != "" && strings.HasPrefix(s.Uses, uses)) {
			return s
		}
	}
	t.Fatalf("release.yml: no step with id %q or uses %q", id, uses)
	return actionStep{}
}

// fakeGo stands in for `go build` in release.yml's Build step: it writes,
// at -o, a script that prints the version from -ldflags and GOOS/GOARCH.
const fakeGo = `#!/usr/bin/env bash
out="" ld=""
while [ $# -gt 0 ]; do case "$1" in -o) out="$2"; shift ;; -ldflags) ld="$2"; shift ;; esac; shift; done
v="${ld##*main.version=}"; v="${v%% *}"
printf '#!/bin/sh\necho "regprune %s %s/%s"\n' "$v" "$GOOS" "$GOARCH" > "$out"
`

// TestReleaseAssetsMatchAction builds the release's assets with
// release.yml's own Build and Checksums steps (a fake go), serves them as
// a release on loopback, and installs them through action.yml on every
// runner it supports: each runner gets the binary for its OS and
// architecture, verified against the published SHA256SUMS, and every
// binary published is one some runner installs.
func TestReleaseAssetsMatchAction(t *testing.T) {
	job := readWorkflow(t, "release.yml")["binaries"]
	work := t.TempDir()
	r := newRunner(t, map[string]string{"go": fakeGo})
	for _, id := range []string{"build", "checksums"} {
		s := jobStep(t, job, id, "")
		res := runStep(t, work, s.Run, append(stepEnv(t, s, map[string]string{"github.ref_name": "v1.2.3"}), r.env()...))
		if res.code != 0 {
			t.Fatalf("release.yml step %s exited %d:\n%s%s", id, res.code, res.stdout, res.stderr)
		}
	}
	dist := filepath.Join(work, "dist")
	entries, err := os.ReadDir(dist)
	if err != nil {
		t.Fatal(err)
	}
	rel := &fakeRelease{version: "v1.2.3", files: map[string][]byte{}}
	var binaries []string
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dist, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		rel.files[e.Name()] = b
		if strings.HasPrefix(e.Name(), "regprune_") {
			binaries = append(binaries, e.Name())
		}
	}
	base := rel.serve(t)
	var installed []string
	for _, runnerOS := range []string{"Linux", "macOS", "Windows"} {
		for _, arch := range []string{"X64", "ARM64"} {
			r := newRunner(t, nil)
			r.os, r.arch, r.releases = runnerOS, arch, base
			resolve, res := installAction(t, r, "v1.2.3", "")
			goos := map[string]string{"Linux": "linux", "macOS": "darwin", "Windows": "windows"}[runnerOS]
			goarch := map[string]string{"X64": "amd64", "ARM64": "arm64"}[arch]
			if want := "regprune v1.2.3 " + goos + "/" + goarch; res.code != 0 || !strings.Contains(res.stdout, want) {
				t.Errorf("%s %s: install exited %d, want %q printed:\n%s%s", runnerOS, arch, res.code, want, res.stdout, res.stderr)
			}
			installed = append(installed, resolve.outputs["asset"])
		}
	}
	slices.Sort(binaries)
	slices.Sort(installed)
	if !slices.Equal(binaries, installed) {
		t.Errorf("release.yml publishes %q; the action installs %q", binaries, installed)
	}
}

// TestReleaseSignsAndAttests: the release signs SHA256SUMS keyless into
// the bundle the action fetches and uploads it, attests provenance of the
// binaries and publishes an SBOM; the image job pushes an SBOM and
// provenance with the image and signs the pushed digest. The jobs ask for
// the OIDC token keyless signing needs.
func TestReleaseSignsAndAttests(t *testing.T) {
	jobs := readWorkflow(t, "release.yml")
	bin, img := jobs["binaries"], jobs["image"]
	for name, job := range map[string]workflowJob{"binaries": bin, "image": img} {
		if job.Permissions["id-token"] != "write" {
			t.Errorf("release.yml job %s: permissions id-token is %q, want write (cosign keyless)", name, job.Permissions["id-token"])
		}
		jobStep(t, job, "", "sigstore/cosign-installer@")
	}
	if bin.Permissions["attestations"] != "write" {
		t.Error("release.yml job binaries: permissions attestations must be write for the provenance")
	}
	var signs, publishes string
	for _, s := range bin.Steps {
		if strings.Contains(s.Run, "cosign sign-blob") {
			signs = s.Run
		}
		if strings.Contains(s.Run, "gh release create") {
			publishes = s.Run
		}
	}
	const bundle = "dist/SHA256SUMS.sigstore.json"
	if !strings.Contains(signs, "--bundle "+bundle+" dist/SHA256SUMS") {
		t.Errorf("release.yml does not sign dist/SHA256SUMS into %s:\n%s", bundle, signs)
	}
	for _, f := range []string{bundle, "dist/SHA256SUMS", "dist/regprune_*"} {
		if !strings.Contains(publishes, f) {
			t.Errorf("release.yml does not upload %s to the release:\n%s", f, publishes)
		}
	}
	_, md := readAction(t, repoRoot(t))
	install := stepByID(t, md, "install").Run
	for _, w := range []string{"fetch " + filepath.Base(bundle), "https://github.com/regprune/regprune/.github/workflows/release.yml@refs/tags/${VERSION}"} {
		if !strings.Contains(install, w) {
			t.Errorf("action.yml's install step lacks %q: it must verify the bundle release.yml makes, with release.yml's identity", w)
		}
	}
	if p := jobStep(t, bin, "", "actions/attest-build-provenance@").With["subject-path"]; p != "dist/regprune_*" {
		t.Errorf("release.yml attests provenance of %q, want dist/regprune_*", p)
	}
	if out := jobStep(t, bin, "", "anchore/sbom-action@").With["output-file"]; !strings.HasPrefix(out, "dist/regprune_") {
		t.Errorf("release.yml writes the SBOM to %q, which the release does not upload (want dist/regprune_*)", out)
	}
	push := jobStep(t, img, "push", "")
	if push.With["sbom"] != "true" || push.With["provenance"] == "" || push.With["provenance"] == "false" {
		t.Errorf("the image is pushed with sbom %q and provenance %q; want both", push.With["sbom"], push.With["provenance"])
	}
	var signed bool
	for _, s := range img.Steps {
		signed = signed || (strings.Contains(s.Run, "cosign sign ") && strings.Contains(s.Env["DIGEST"], "steps.push.outputs.digest"))
	}
	if !signed {
		t.Error("release.yml does not sign the pushed image by its digest (steps.push.outputs.digest)")
	}
}

// TestReleaseImageTags runs the image job's Tags step: a release is
// pushed as its version and :latest, a prerelease as its version only,
// and the push uses those tags.
func TestReleaseImageTags(t *testing.T) {
	img := readWorkflow(t, "release.yml")["image"]
	s := jobStep(t, img, "tags", "")
	if got := jobStep(t, img, "push", "").With["tags"]; !strings.Contains(got, "steps.tags.outputs.tags") {
		t.Errorf("the image push uses tags %q, not the Tags step's", got)
	}
	r := newRunner(t, nil)
	for version, want := range map[string]string{
		"v1.2.3":      "ghcr.io/regprune/regprune:v1.2.3,ghcr.io/regprune/regprune:latest",
		"v1.3.0-rc.1": "ghcr.io/regprune/regprune:v1.3.0-rc.1",
	} {
		res := runStep(t, "", s.Run, append(stepEnv(t, s, map[string]string{"github.ref_name": version}), r.env()...))
		if res.code != 0 || res.outputs["tags"] != want {
			t.Errorf("%s: exit %d, tags %q, want %q\n%s", version, res.code, res.outputs["tags"], want, res.stderr)
		}
	}
}
