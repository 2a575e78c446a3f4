package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/retention"
)

// TestGitHubRegistry runs plan and apply on a registry whose api is
// github (the GHCR emulator): the tags come from the Packages API, the
// deletions are version deletions, and without a token nothing is
// listed and the run says which token is missing.
func TestGitHubRegistry(t *testing.T) {
	t.Parallel()
	const tok = "ghp_cli"
	g := registrytest.NewGHCR(t, registrytest.WithGHCROrg("acme"),
		registrytest.WithGHCRToken(tok, "octo", registrytest.TokenClassic, "read:packages", "write:packages", "delete:packages"))
	repo := g.Repo("acme", "app")
	auth := remote.WithAuth(&authn.Basic{Username: "octo", Password: tok})
	digests := map[string]string{}
	for _, tag := range []string{"v1.0.0", "v1.1.0", "v1.2.0"} {
		digests[tag] = registrytest.PushImage(t, repo+":"+tag, auth)
	}
	body := func(password string) string {
		return fmt.Sprintf(`registries:
  - host: %q
    insecure: true
    api: github
    apiURL: %q
%s
policies:
  - name: releases
    repositories: [%q]
    keep: [{semver: {highest: 1}}]
`, g.Host, g.APIURL, password, repo)
	}

	// No token: the listing is refused with what to set, nothing deleted.
	g.ResetRequests()
	r := runCLI(t, nil, "plan", "-c", writeConfig(t, body("")), "-o", "json")
	if r.code != exitFailure || !strings.Contains(r.stderr, "no token for the GitHub Packages API of "+g.Host) {
		t.Fatalf("plan without a token: exit %d, want %d naming the missing token; stderr:\n%s", r.code, exitFailure, r.stderr)
	}
	if n := len(g.Requests()); n != 0 {
		t.Errorf("without a token %d requests were sent, want none: %v", n, g.Requests())
	}

	cfg := writeConfig(t, body("    username: octo\n    password: ${GHCR_TOKEN}"))
	env := map[string]string{"GHCR_TOKEN": tok}
	// A limit hit while listing is waited out and reported.
	g.FailNext(registrytest.GHCRFault{PathContains: "/versions", Status: http.StatusTooManyRequests, RetryAfter: 1})
	stateDir := filepath.Join(t.TempDir(), "state")
	r = runCLI(t, env, "apply", "-c", cfg, "-o", "json", "--state-dir", stateDir)
	if r.code != exitOK {
		t.Fatalf("apply: exit %d; stderr:\n%s", r.code, r.stderr)
	}
	var p retention.Plan
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		t.Fatalf("apply's report: %v\n%s", err, r.stdout)
	}
	if p.Summary.Deleted != 2 || p.Summary.Failed != 0 {
		t.Errorf("want 2 deletions and no failures, got %+v", p.Summary)
	}
	if p.Waited == nil || p.Waited.Limited != retention.Duration(time.Second) || !slices.ContainsFunc(p.Notes, func(n string) bool {
		return strings.HasPrefix(n, "rate limits: waited 1s")
	}) {
		t.Errorf("the report should say the run waited 1s for a limit: waited %+v, notes %q", p.Waited, p.Notes)
	}
	left := map[string][]string{}
	for _, v := range g.Versions("acme", "app") {
		if v.DeletedAt.IsZero() {
			left[v.Digest] = v.Tags
		}
	}
	if len(left) != 1 || len(left[digests["v1.2.0"]]) != 1 {
		t.Errorf("want only v1.2.0 left, got %v", left)
	}
	var deletes, ociDeletes int
	for _, req := range g.Requests() {
		if req.Method != http.MethodDelete {
			continue
		}
		if req.Side == "oci" {
			ociDeletes++
		} else {
			deletes++
		}
	}
	if deletes != 2 || ociDeletes != 0 {
		t.Errorf("want 2 version deletions and no OCI deletes, got %d and %d", deletes, ociDeletes)
	}

	// Restore: GitHub's restore call brings the versions back, and their
	// tags are pushed again.
	r = runCLI(t, env, "restore", "-c", cfg, "--state-dir", stateDir, "--run", p.RunID)
	if r.code != 0 {
		t.Fatalf("restore: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	back := map[string][]string{}
	for _, v := range g.Versions("acme", "app") {
		if v.DeletedAt.IsZero() {
			back[v.Digest] = v.Tags
		}
	}
	for tag, d := range digests {
		if !slices.Contains(back[d], tag) {
			t.Errorf("after restore %s is not on %s: %v", tag, d, back)
		}
	}
	restores := 0
	for _, req := range g.Requests() {
		if req.Side == "rest" && req.Method == http.MethodPost && strings.HasSuffix(req.Path, "/restore") {
			restores++
		}
	}
	if restores != 2 {
		t.Errorf("%d restore calls, want 2", restores)
	}
}
