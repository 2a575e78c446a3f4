package lint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// workflowSteps is the part of a workflow this test reads.
type workflowSteps struct {
	Permissions map[string]string `yaml:"permissions"`
	Jobs        map[string]struct {
		Steps []struct {
			If   string            `yaml:"if"`
			Uses string            `yaml:"uses"`
			With map[string]string `yaml:"with"`
			Env  map[string]string `yaml:"env"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// TestExampleWorkflowsKeepStateToThemselves: the example workflows that
// run regprune carry its state directory only as an artifact of the same
// workflow (issue 23): downloaded from a run of it, uploaded at the end of
// every run, the directory regprune is given. Never actions/cache, whose
// entries other workflows of the repository can write; the README says
// so.
func TestExampleWorkflowsKeepStateToThemselves(t *testing.T) {
	root := repoRoot(t)
	for _, f := range globs(t, root, "examples/github-actions/*.yml") {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var w workflowSteps
		if err := yaml.Unmarshal(src, &w); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		name := filepath.Base(f)
		if w.Permissions["actions"] != "read" {
			t.Errorf("%s: permissions: actions is %q, want read (to find the previous run's state)", name, w.Permissions["actions"])
		}
		var down, up, used string
		for _, job := range w.Jobs {
			for _, s := range job.Steps {
				switch {
				case strings.HasPrefix(s.Uses, "actions/cache"):
					t.Errorf("%s: a step uses %s: its entries can be written by other workflows", name, s.Uses)
				case strings.HasPrefix(s.Uses, "actions/download-artifact@") && s.With["run-id"] != "":
					down = s.With["path"]
				case strings.HasPrefix(s.Uses, "actions/upload-artifact@") && s.If == "always()":
					up = s.With["path"]
				case strings.HasPrefix(s.Uses, "regprune/regprune@"):
					used = s.Env["REGPRUNE_STATE_DIR"]
				}
			}
		}
		if used == "" || down != used || up != used {
			t.Errorf("%s: regprune's state directory %q, downloaded from a previous run to %q, uploaded at the end of every run from %q: want one directory", name, used, down, up)
		}
	}
}
