package main

import (
	"strings"
	"testing"

	"github.com/regprune/regprune/retention/config"
)

// TestOverrideFlagsExist: every flag of config.Overrides is a flag of
// plan and apply, the commands that use its key, so that the table's
// flag reaches the key (load passes it by the table).
func TestOverrideFlagsExist(t *testing.T) {
	t.Parallel()
	for _, command := range []string{"plan", "apply"} {
		r := runCLI(t, nil, command, "--help")
		if r.code != 0 {
			t.Fatalf("regprune %s --help: exit %d: %s", command, r.code, r.stderr)
		}
		for _, o := range config.Overrides() {
			if o.Flag != "" && !strings.Contains(r.stdout, "--"+o.Flag+" ") {
				t.Errorf("regprune %s has no --%s, which config.Overrides gives %s", command, o.Flag, o.Key)
			}
		}
	}
}
