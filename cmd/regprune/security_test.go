package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/internal/seed"
)

// TestSecretsNeverLeak runs plan and apply, in every output format and at
// debug level, with a known password, and searches every output (stdout,
// stderr, reports, metrics, the step summary) for the password, the
// Authorization header it makes and the tokens the registry handed out.
// It also checks that plan and --dry-run ask for pull scope only.
func TestSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-canary-7f1c9a"
	reg := registrytest.StartDistribution(t)
	auth := registrytest.NewTokenAuth(t, reg, "ci", secret)
	now := time.Now()
	// Push straight to the registry; the client under test goes through
	// the authenticating front.
	if _, err := seed.History(context.Background(), reg.Repo("acme/api"), []seed.Entry{
		{Tag: "v1.0.0", Created: now.Add(-72 * time.Hour)},
		{Tag: "v1.1.0", Created: now.Add(-48 * time.Hour)},
		{Tag: "v1.2.0", Created: now.Add(-47 * time.Hour)},
	}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfgFor := func(password string) string {
		return writeConfig(t, fmt.Sprintf(`registries:
  - host: %s
    insecure: true
    username: ci
    password: %s
policies:
  - name: api
    repositories: ["%s"]
    keep: [{semver: {highest: 2}}]
`, auth.Host, password, auth.Repo("acme/api")))
	}
	viaEnv := cfgFor("${REG_PASSWORD}")
	literal := cfgFor(secret)
	if err := os.Chmod(literal, 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"REG_PASSWORD": secret, "GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary.md")}
	var outputs []string
	runs := []struct {
		args     []string
		env      map[string]string
		wantCode int
	}{
		{[]string{"validate", "-c", viaEnv, "--log-level", "debug"}, env, 0},
		{[]string{"plan", "-c", viaEnv, "-o", "json", "--log-level", "debug", "--log-format", "json", "--metrics-file", filepath.Join(dir, "plan.prom"), "--output-file", filepath.Join(dir, "plan.json")}, env, 0},
		{[]string{"plan", "-c", literal, "-o", "markdown", "--log-level", "debug"}, env, 0},
		{[]string{"apply", "-c", viaEnv, "--dry-run", "-o", "text", "--log-level", "debug"}, env, 0},
		{[]string{"apply", "-c", viaEnv, "-o", "json", "--log-level", "debug", "--log-format", "json", "--metrics-file", filepath.Join(dir, "apply.prom")}, env, 0},
		// A wrong password: the error path must not quote it either.
		{[]string{"plan", "-c", viaEnv, "-o", "text", "--log-level", "debug"}, map[string]string{"REG_PASSWORD": secret + "-wrong"}, 1},
	}
	planScopes := 0
	for i, run := range runs {
		r := runCLI(t, run.env, run.args...)
		if r.code != run.wantCode {
			t.Fatalf("run %d (%v): exit %d, want %d\nstderr: %s", i, run.args, r.code, run.wantCode, r.stderr)
		}
		outputs = append(outputs, r.stdout, r.stderr)
		if run.args[0] == "plan" || (run.args[0] == "apply" && run.args[3] == "--dry-run") {
			for _, s := range auth.Scopes()[planScopes:] {
				if strings.Contains(s, "push") || strings.Contains(s, "delete") || strings.Contains(s, "*") {
					t.Errorf("run %d (%v) asked for scope %q; plan and --dry-run must ask for pull only", i, run.args, s)
				}
			}
		}
		planScopes = len(auth.Scopes())
	}
	if !strings.Contains(strings.Join(outputs, ""), "readable by other users") && !strings.Contains(strings.Join(outputs, ""), "other users can read it") {
		t.Errorf("a world-readable config with a literal password got no warning")
	}
	// validate warns too, for the literal password only, never for ${VAR}.
	for _, c := range []struct {
		path string
		want bool
	}{{literal, true}, {viaEnv, false}} {
		r := runCLI(t, env, "validate", "-c", c.path)
		outputs = append(outputs, r.stdout, r.stderr)
		if got := strings.Contains(r.stdout, "other users can read it"); got != c.want {
			t.Errorf("validate %s: warned %v, want %v:\n%s", filepath.Base(c.path), got, c.want, r.stdout)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		outputs = append(outputs, string(b))
	}
	needles := []string{secret, base64.StdEncoding.EncodeToString([]byte("ci:" + secret))}
	needles = append(needles, auth.Tokens()...)
	if len(auth.Tokens()) == 0 {
		t.Fatal("the registry handed out no token: the test did not exercise authentication")
	}
	for i, out := range outputs {
		for _, n := range needles {
			if strings.Contains(out, n) {
				t.Errorf("output %d contains a secret (%.6s…):\n%s", i, n, out)
			}
		}
	}
	// apply asked for delete, and only apply did.
	var deleteScopes int
	for _, s := range auth.Scopes() {
		if strings.Contains(s, "delete") {
			deleteScopes++
		}
	}
	if deleteScopes == 0 {
		t.Errorf("apply never asked for delete scope; scopes: %v", auth.Scopes())
	}
}
