package main

import (
	"strings"
	"testing"
)

// TestCompletion: a shell cobra has a script for prints it; any other is
// bad usage (exit 2) that names the shells, with nothing on stdout.
func TestCompletion(t *testing.T) {
	t.Parallel()
	for _, shell := range []string{"bash", "fish", "powershell", "zsh"} {
		if r := runCLI(t, nil, "completion", shell); r.code != 0 || !strings.Contains(r.stdout, "regprune") {
			t.Errorf("completion %s: exit %d, %d bytes of script\n%s", shell, r.code, len(r.stdout), r.stderr)
		}
	}
	r := runCLI(t, nil, "completion", "nope")
	if r.code != exitUsage {
		t.Errorf("completion nope: exit %d, want %d", r.code, exitUsage)
	}
	for _, want := range []string{"unknown shell", "nope", "want one of bash, fish, powershell, zsh"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("completion nope: stderr does not say %q:\n%s", want, r.stderr)
		}
	}
	if r.stdout != "" {
		t.Errorf("completion nope wrote to stdout:\n%s", r.stdout)
	}
}
