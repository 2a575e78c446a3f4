package oci

import (
	"log/slog"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
)

// TestDefaultKeychainUsesGitHubToken: in a GitHub Actions job, ghcr.io is
// reached with GITHUB_TOKEN when the Docker config has no credentials for
// it; other registries do not get the token.
func TestDefaultKeychainUsesGitHubToken(t *testing.T) {
	t.Setenv("GITHUB_TOKEN", "ghs_test-token")
	t.Setenv("GITHUB_ACTOR", "octocat")
	t.Setenv("DOCKER_CONFIG", t.TempDir()) // no docker login state
	// The real cloud logins: neither host is theirs, so none is asked.
	kc := keychainOf(cloudLogins, slog.New(slog.DiscardHandler))
	for host, want := range map[string]string{"ghcr.io": "ghs_test-token", "registry.example.com": ""} {
		reg, err := name.NewRegistry(host)
		if err != nil {
			t.Fatal(err)
		}
		a, err := kc.Resolve(reg)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := a.Authorization()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Password != want {
			t.Errorf("%s: password %q, want %q", host, cfg.Password, want)
		}
	}
}
