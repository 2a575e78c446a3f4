package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEExamples keeps the README true: every YAML example in it is a
// valid configuration, and every command in its synopsis exists with the
// flags it shows.
func TestREADMEExamples(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(readme, -1)
	if len(blocks) == 0 {
		t.Fatal("the README has no YAML example")
	}
	for i, m := range blocks {
		path := writeConfig(t, m[1])
		r := runCLI(t, map[string]string{"REGISTRY_PASSWORD": "x"}, "validate", "-c", path)
		if r.code != 0 {
			t.Errorf("README YAML example %d is not valid: %s\n%s", i+1, r.stderr, m[1])
		}
	}
	commands := regexp.MustCompile("(?s)## Commands\n\n```\n(.*?)```").FindStringSubmatch(readme)
	if commands == nil {
		t.Fatal("the README has no command synopsis under ## Commands")
	}
	synopsis := regexp.MustCompile(`(?m)^regprune (\w+)(.*)$`).FindAllStringSubmatch(commands[1], -1)
	if len(synopsis) < 5 {
		t.Fatalf("found %d commands in the README synopsis, want at least 5", len(synopsis))
	}
	for _, m := range synopsis {
		r := runCLI(t, nil, m[1], "--help")
		if r.code != 0 {
			t.Errorf("regprune %s --help: exit %d: %s", m[1], r.code, r.stderr)
			continue
		}
		for _, flag := range regexp.MustCompile(`--[a-z-]+`).FindAllString(m[2], -1) {
			if !strings.Contains(r.stdout, flag) {
				t.Errorf("the README shows regprune %s %s, which its help does not list", m[1], flag)
			}
		}
	}
}

// TestCIRunsTheREADMECommand: .ci/run runs exactly the test command the
// README gives.
func TestCIRunsTheREADMECommand(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	ci, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?m)^(go test [^#\n]*?)\\s+#").FindStringSubmatch(string(readme))
	if m == nil {
		t.Fatal("the README has no go test command")
	}
	if !regexp.MustCompile("(?m)^" + regexp.QuoteMeta(m[1]) + "$").Match(ci) {
		t.Errorf(".ci/run does not run the README's test command %q", m[1])
	}
}

// TestExampleConfigs: every configuration under examples/ is valid.
func TestExampleConfigs(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../examples/*/*.yaml")
	if err != nil || len(files) < 2 {
		t.Fatalf("found %d example configurations (%v), want at least 2", len(files), err)
	}
	for _, f := range files {
		r := runCLI(t, nil, "validate", "-c", f)
		if r.code != 0 || strings.Contains(r.stdout, "warning") {
			t.Errorf("%s: exit %d\n%s%s", f, r.code, r.stdout, r.stderr)
		}
	}
}
