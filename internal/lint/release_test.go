package lint

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReleaseNotes: the release workflow's notes come from CHANGELOG.md;
// the script prints exactly one version's section and refuses a version
// without one.
func TestReleaseNotes(t *testing.T) {
	script := filepath.Join(repoRoot(t), ".github", "scripts", "release-notes.sh")
	changelog := filepath.Join(t.TempDir(), "CHANGELOG.md")
	if err := os.WriteFile(changelog, []byte("# Changelog\n\n## v1.1.0 - 2026-12-01\n- new thing\n\n## v1.0.0\n- first\n\n## v0.9.0\n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", script, "v1.0.0", changelog).CombinedOutput()
	if err != nil {
		t.Fatalf("v1.0.0: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "- first" {
		t.Errorf("notes of v1.0.0 = %q, want %q", got, "- first")
	}
	for _, v := range []string{"v2.0.0", "v0.9.0"} {
		out, err := exec.Command("bash", script, v, changelog).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "no notes for "+v) {
			t.Errorf("%s (missing or empty): err %v, output %q; want a refusal naming it", v, err, out)
		}
	}
	// The shipped CHANGELOG has the section the next release fills in.
	if _, err := exec.Command("bash", script, "Unreleased", filepath.Join(repoRoot(t), "CHANGELOG.md")).Output(); err != nil {
		t.Errorf("CHANGELOG.md has no Unreleased section: %v", err)
	}
}
