package config

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLoadStateDir: stateDir is set as the table says, the variable over
// the file and the override over both, and a path is taken as written.
func TestLoadStateDir(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		file      string
		env       map[string]string
		overrides map[string]any
		want      string
	}{
		{name: "default", file: minimal, want: ""},
		{name: "file", file: "stateDir: /var/lib/regprune\n" + minimal, want: "/var/lib/regprune"},
		{name: "env over file", file: "stateDir: /var/lib/regprune\n" + minimal, env: map[string]string{"REGPRUNE_STATE_DIR": "/tmp/state"}, want: "/tmp/state"},
		{name: "empty env is unset", file: "stateDir: /var/lib/regprune\n" + minimal, env: map[string]string{"REGPRUNE_STATE_DIR": ""}, want: "/var/lib/regprune"},
		{name: "env as written", file: minimal, env: map[string]string{"REGPRUNE_STATE_DIR": " state "}, want: " state "},
		{name: "override over env", file: minimal, env: map[string]string{"REGPRUNE_STATE_DIR": "/tmp/state"}, overrides: map[string]any{"stateDir": "flag"}, want: "flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Load(write(t, tt.file), env(tt.env), WithOverrides(tt.overrides))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if diff := cmp.Diff(tt.want, cfg.StateDir); diff != "" {
				t.Errorf("stateDir (-want +got):\n%s", diff)
			}
		})
	}
}

// TestOverridesTable: every row names a key of the configuration and at
// least a flag or a variable, and no flag or variable is in two rows.
func TestOverridesTable(t *testing.T) {
	t.Parallel()
	fields := fieldsOf(configType)
	seen := map[string]string{}
	for _, o := range Overrides() {
		if f, ok := fields[strings.ToLower(o.Key)]; !ok || f.name != o.Key {
			t.Errorf("%s: not a key of the configuration", o.Key)
		}
		if o.Flag == "" && o.Env == "" {
			t.Errorf("%s: neither a flag nor a variable", o.Key)
		}
		if o.Doc == "" {
			t.Errorf("%s: no doc", o.Key)
		}
		for _, name := range []string{"--" + o.Flag, o.Env} {
			if name == "--" || name == "" {
				continue
			}
			if prev, dup := seen[name]; dup {
				t.Errorf("%s sets both %s and %s", name, prev, o.Key)
			}
			seen[name] = o.Key
		}
	}
}

// TestOverridesDocumented keeps the README's table equal to Overrides,
// row for row, and the example file's header naming every flag and
// variable of it.
func TestOverridesDocumented(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const header = "| key | flag | variable | sets |"
	_, table, ok := strings.Cut(string(readme), header+"\n")
	if !ok {
		t.Fatalf("the README has no table headed %q", header)
	}
	table, _, _ = strings.Cut(table, "\n\n")
	var got []string
	for _, l := range strings.Split(table, "\n")[1:] { // after | --- |
		got = append(got, strings.TrimSpace(l))
	}
	cell := func(s string) string {
		if s == "" || s == "--" {
			return ""
		}
		return "`" + s + "`"
	}
	var want []string
	for _, o := range Overrides() {
		flag := ""
		if o.Flag != "" {
			flag = "--" + o.Flag
		}
		row := fmt.Sprintf("| %s | %s | %s | %s |", cell(o.Key), cell(flag), cell(o.Env), o.Doc)
		want = append(want, strings.ReplaceAll(row, "|  |", "| |"))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the README's table of overrides (-want +got):\n%s", diff)
	}

	example, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	head, _, _ := strings.Cut(string(example), "\n\n# Parallel")
	for _, o := range Overrides() {
		for _, name := range []string{o.Env, "--" + o.Flag} {
			if name != "" && name != "--" && !strings.Contains(head, name) {
				t.Errorf("config.example.yaml's header does not name %s (%s)", name, o.Key)
			}
		}
	}
}
