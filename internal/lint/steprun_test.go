package lint

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// stepResult is what a run: step left behind.
type stepResult struct {
	code           int
	stdout, stderr string
	outputs        map[string]string // $GITHUB_OUTPUT, name=value lines
}

// runStep runs a step's script exactly as GitHub runs a `shell: bash`
// step: the script in a file, `bash --noprofile --norc -eo pipefail
// {0}`, with a fresh $GITHUB_OUTPUT, in the working directory wd (a
// new empty one when ""). env is the whole environment.
func runStep(t *testing.T, wd, script string, env []string) stepResult {
	t.Helper()
	dir := t.TempDir()
	if wd == "" {
		wd = t.TempDir()
	}
	file := filepath.Join(dir, "step.sh")
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	outputs := filepath.Join(dir, "outputs")
	if err := os.WriteFile(outputs, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", file)
	cmd.Env = append(env, "GITHUB_OUTPUT="+outputs)
	cmd.Dir = wd
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("running the step: %v", err)
	}
	r := stepResult{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String(), outputs: map[string]string{}}
	f, err := os.Open(outputs)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			r.outputs[k] = v
		}
	}
	return r
}

// expression is one ${{ ... }} in a step's env.
var expression = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

// stepEnv is a step's env: as written, each ${{ expr }} replaced by
// values[expr]. An expression the test does not know fails it, so a
// step that starts reading something new is noticed here.
func stepEnv(t *testing.T, s actionStep, values map[string]string) []string {
	t.Helper()
	var env []string
	for k, v := range s.Env {
		v = expression.ReplaceAllStringFunc(v, func(m string) string {
			expr := expression.FindStringSubmatch(m)[1]
			val, ok := values[expr]
			if !ok {
				t.Fatalf("step %q: env %s uses ${{ %s }}, which the test does not provide", s.Name, k, expr)
			}
			return val
		})
		env = append(env, k+"="+v)
	}
	return env
}

// sandboxPath returns a directory holding only the commands a step may
// use (symbolic links to this machine's), plus the scripts in fakes,
// for PATH: no cosign, go or other tool of the machine leaks into a step.
func sandboxPath(t *testing.T, fakes map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"bash", "sh", "env", "curl", "awk", "mktemp", "rm", "mkdir", "cp", "mv", "chmod", "cat", "tr", "sha256sum", "shasum"} {
		p, err := exec.LookPath(name)
		if err != nil {
			if name == "sha256sum" || name == "shasum" {
				continue // the step uses whichever there is
			}
			t.Fatalf("%s is not installed; the action's install step needs it (GitHub's runners have it)", name)
		}
		if err := os.Symlink(p, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	for name, script := range fakes {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// loopbackOnly is environment that sends any HTTP request not for
// 127.0.0.1 to a closed loopback port: a step under test that tries to
// reach the internet fails instead.
var loopbackOnly = []string{
	"http_proxy=http://127.0.0.1:9", "https_proxy=http://127.0.0.1:9", "HTTPS_PROXY=http://127.0.0.1:9",
	"ALL_PROXY=http://127.0.0.1:9", "all_proxy=http://127.0.0.1:9", "no_proxy=127.0.0.1", "NO_PROXY=127.0.0.1",
}

// stepByID returns the action's step with that id.
func stepByID(t *testing.T, md *actionMetadata, id string) actionStep {
	t.Helper()
	for _, s := range md.Runs.Steps {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("action.yml has no step with id %s", id)
	return actionStep{}
}
