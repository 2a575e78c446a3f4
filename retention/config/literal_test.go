package config

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLiteralPasswords(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, file string
		want       []string
	}{
		{"literal", "registries: [{host: a, username: u, password: hunter2}]\n", []string{"a"}},
		{"a variable", "registries: [{host: a, username: u, password: \"${PW}\"}]\n", nil},
		{"partly a variable", "registries: [{host: a, username: u, password: \"x${PW}\"}]\n", nil},
		{"an escaped dollar is literal", "registries: [{host: a, username: u, password: \"$${PW}\"}]\n", []string{"a"}},
		{"a lone dollar is literal", "registries: [{host: a, username: u, password: \"pa$s\"}]\n", []string{"a"}},
		{"no password", "registries: [{host: a}]\n", nil},
		{"several", "registries:\n  - {host: a, username: u, password: \"${A}\"}\n  - {host: b, username: u, password: b-secret}\n", []string{"b"}},
		{"not YAML", "registries: [\n", nil},
		{"registries not a list", "registries: 3\n", nil},
	} {
		if diff := cmp.Diff(tc.want, LiteralPasswords([]byte(tc.file))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

// TestExampleHasNoLiteralPassword: the shipped example writes its
// passwords as ${VAR}, so validate and plan never warn about it.
func TestExampleHasNoLiteralPassword(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := LiteralPasswords(b); len(got) != 0 {
		t.Errorf("config.example.yaml writes a literal password for %v", got)
	}
}
