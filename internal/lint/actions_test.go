package lint

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"go.yaml.in/yaml/v3"
)

// newLinter returns an actionlint linter for the repository at root.
// shellcheck checks the run: scripts when it is on PATH; it is an extra,
// never a requirement, so the test gives the same verdict on a machine
// without it except for shell style. pyflakes is off: no step runs Python.
func newLinter(t *testing.T, root string) (*actionlint.Linter, *actionlint.Project) {
	t.Helper()
	shellcheck, err := exec.LookPath("shellcheck")
	if err != nil {
		shellcheck = ""
		t.Log("shellcheck is not installed: run: scripts are checked by actionlint alone")
	}
	l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{
		Shellcheck: shellcheck,
		WorkingDir: root,
	})
	if err != nil {
		t.Fatalf("creating the linter: %v", err)
	}
	p, err := actionlint.NewProject(root)
	if err != nil {
		t.Fatalf("opening the project: %v", err)
	}
	return l, p
}

// report fails the test with one line per finding.
func report(t *testing.T, what string, errs []*actionlint.Error, src []byte) {
	t.Helper()
	if len(errs) == 0 {
		return
	}
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "%s:%d:%d: %s [%s]\n", e.Filepath, e.Line, e.Column, e.Message, e.Kind)
	}
	if src != nil {
		fmt.Fprintf(&b, "--- %s as linted:\n%s", what, src)
	}
	t.Errorf("actionlint found %d problems in %s:\n%s", len(errs), what, b.String())
}

// TestWorkflows lints the repository's workflows and the example ones.
func TestWorkflows(t *testing.T) {
	root := repoRoot(t)
	l, p := newLinter(t, root)
	files := globs(t, root, ".github/workflows/*.yml", "examples/github-actions/*.yml")
	errs, err := l.LintFiles(files, p)
	if err != nil {
		t.Fatalf("linting: %v", err)
	}
	report(t, strings.Join(files, ", "), errs, nil)
}

// usesThisAction matches a step that uses the published action, at any ref.
var usesThisAction = regexp.MustCompile(`(?m)^(\s*(?:-\s+)?uses:\s*)regprune/regprune@\S+`)

// TestExamplesAgainstThisAction lints each example workflow once more
// with its `uses: regprune/regprune@<ref>` pointed at this checkout
// (`uses: ./`). actionlint then reads action.yml and checks the example's
// inputs and the outputs it reads against the action's metadata, which
// it cannot do for a remote action.
func TestExamplesAgainstThisAction(t *testing.T) {
	root := repoRoot(t)
	l, p := newLinter(t, root)
	for _, f := range globs(t, root, "examples/github-actions/*.yml") {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !usesThisAction.Match(src) {
			continue
		}
		local := usesThisAction.ReplaceAll(src, []byte("${1}./"))
		errs, err := l.Lint(f, local, p)
		if err != nil {
			t.Fatalf("linting %s: %v", f, err)
		}
		report(t, f+" (with uses: ./)", errs, nil)
	}
}

// actionMetadata is action.yml as this repository writes it. Decoding is
// strict, so a key GitHub does not know (or one misspelt) fails.
type actionMetadata struct {
	Name        string                 `yaml:"name"`
	Description string                 `yaml:"description"`
	Author      string                 `yaml:"author"`
	Branding    map[string]string      `yaml:"branding"`
	Inputs      map[string]actionInput `yaml:"inputs"`
	Outputs     map[string]struct {
		Description string `yaml:"description"`
		Value       string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string       `yaml:"using"`
		Steps []actionStep `yaml:"steps"`
	} `yaml:"runs"`
}

type actionInput struct {
	Description        string  `yaml:"description"`
	Required           bool    `yaml:"required"`
	Default            *string `yaml:"default"`
	DeprecationMessage string  `yaml:"deprecationMessage"`
}

// actionStep has the keys a composite action's step may have.
type actionStep struct {
	ID               string            `yaml:"id"`
	If               string            `yaml:"if"`
	Name             string            `yaml:"name"`
	Uses             string            `yaml:"uses"`
	Run              string            `yaml:"run"`
	Shell            string            `yaml:"shell"`
	With             map[string]string `yaml:"with"`
	Env              map[string]string `yaml:"env"`
	WorkingDirectory string            `yaml:"working-directory"`
	ContinueOnError  string            `yaml:"continue-on-error"`
}

func readAction(t *testing.T, root string) ([]byte, *actionMetadata) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	var md actionMetadata
	if err := dec.Decode(&md); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	return src, &md
}

// TestActionMetadata checks the action's interface: the inputs and their
// defaults that the README and the examples promise, the outputs, and a
// composite action whose steps all say which shell runs them.
func TestActionMetadata(t *testing.T) {
	_, md := readAction(t, repoRoot(t))
	if md.Name == "" || md.Description == "" {
		t.Error("action.yml needs a name and a description")
	}
	wantInputs := map[string]string{
		"config":  "regprune.yaml",
		"command": "plan",
		"format":  "markdown",
		"args":    "",
		"version": "",
	}
	for name, def := range wantInputs {
		in, ok := md.Inputs[name]
		switch {
		case !ok:
			t.Errorf("input %s is missing", name)
		case in.Description == "":
			t.Errorf("input %s has no description", name)
		case in.Required:
			t.Errorf("input %s is required; every input has a default", name)
		case in.Default == nil || *in.Default != def:
			t.Errorf("input %s: default %v, want %q", name, in.Default, def)
		}
	}
	ids := map[string]bool{}
	for i, s := range md.Runs.Steps {
		if s.ID != "" {
			ids[s.ID] = true
		}
		if (s.Run == "") == (s.Uses == "") {
			t.Errorf("runs.steps[%d] needs exactly one of run and uses", i)
		}
		if s.Run != "" && s.Shell == "" {
			t.Errorf("runs.steps[%d]: a composite action's run step needs shell", i)
		}
	}
	if md.Runs.Using != "composite" || len(md.Runs.Steps) == 0 {
		t.Errorf("runs: using %q with %d steps, want a composite action", md.Runs.Using, len(md.Runs.Steps))
	}
	stepOutput := regexp.MustCompile(`^\$\{\{\s*steps\.([A-Za-z0-9_-]+)\.outputs\.[A-Za-z0-9_-]+\s*\}\}$`)
	for _, name := range []string{"deleted", "report"} {
		out, ok := md.Outputs[name]
		if !ok {
			t.Errorf("output %s is missing", name)
			continue
		}
		m := stepOutput.FindStringSubmatch(out.Value)
		if m == nil || !ids[m[1]] {
			t.Errorf("output %s: value %q is not the output of one of the action's steps", name, out.Value)
		}
	}
}

// TestActionStepsAsWorkflow lints the composite action's steps with
// actionlint. actionlint lints workflows, not action metadata, so the
// steps are put into a reusable workflow whose inputs are the action's
// inputs and whose job outputs are the action's outputs: expressions
// (inputs.*, steps.*.outputs.*, github.action_path), the actions used and
// their inputs, and the shell scripts are then checked as in a workflow.
func TestActionStepsAsWorkflow(t *testing.T) {
	root := repoRoot(t)
	src, md := readAction(t, root)
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	runs := mappingValue(doc.Content[0], "runs")
	steps := mappingValue(runs, "steps")
	outputs := mappingValue(doc.Content[0], "outputs")
	if steps == nil || outputs == nil {
		t.Fatal("action.yml has no runs.steps or no outputs")
	}

	inputs := map[string]any{}
	for name, in := range md.Inputs {
		def := ""
		if in.Default != nil {
			def = *in.Default
		}
		inputs[name] = map[string]any{"type": "string", "required": in.Required, "default": def}
	}
	jobOutputs := &yaml.Node{Kind: yaml.MappingNode}
	names := make([]string, 0, len(md.Outputs))
	for name := range md.Outputs {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		jobOutputs.Content = append(jobOutputs.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Value: name},
			&yaml.Node{Kind: yaml.ScalarNode, Value: md.Outputs[name].Value})
	}
	workflow := map[string]any{
		"name": "action.yml as a workflow",
		"on":   map[string]any{"workflow_call": map[string]any{"inputs": inputs}},
		"jobs": map[string]any{
			"action": map[string]any{
				"runs-on": "ubuntu-latest",
				"outputs": jobOutputs,
				"steps":   steps,
			},
		},
	}
	synthetic, err := yaml.Marshal(workflow)
	if err != nil {
		t.Fatal(err)
	}
	l, p := newLinter(t, root)
	errs, err := l.Lint(filepath.Join(root, "action.yml"), synthetic, p)
	if err != nil {
		t.Fatalf("linting action.yml's steps: %v", err)
	}
	report(t, "action.yml's steps (as a reusable workflow)", errs, synthetic)
}

// mappingValue returns the value of key in a YAML mapping node, or nil.
func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
