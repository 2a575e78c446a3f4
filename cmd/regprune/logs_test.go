package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/regprune/regprune/internal/registrytest"
)

// TestStartAndFinishLines: the first log line says what runs (version,
// command, configuration, scope, shard) and the last one the counts and
// the exit code, at ERROR when the run fails, for an alert to match.
func TestStartAndFinishLines(t *testing.T) {
	t.Parallel()
	reg := registrytest.InMemory(t, false)
	seedReleases(t, reg, 3)
	ok := releasesConfig(t, "", reg.Host, reg.Repo("acme/app"))
	// A second policy on a registry that refuses connections fails one
	// repository: exit 1.
	failing := writeConfig(t, "policies:\n  - name: p\n    repositories: [127.0.0.1:1/acme/app]\n    keep: [{newest: 1}]\n")
	tests := []struct {
		cfg, cmd string
		code     int
		level    string
	}{
		{ok, "apply", 0, "INFO"},
		{failing, "plan", 1, "ERROR"},
	}
	for _, tc := range tests {
		r := runCLI(t, nil, tc.cmd, "-c", tc.cfg, "--log-format", "json", "-o", "json")
		if r.code != tc.code {
			t.Fatalf("%s: exit %d, want %d\n%s", tc.cmd, r.code, tc.code, r.stderr)
		}
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		var first, last map[string]any
		if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
			t.Fatalf("first log line %q: %v", lines[0], err)
		}
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
			t.Fatalf("last log line %q: %v", lines[len(lines)-1], err)
		}
		if first["msg"] != "regprune starting" || first["command"] != tc.cmd || first["config"] != tc.cfg || first["scope"] != "all" || first["shard"] == nil || first["version"] == nil {
			t.Errorf("%s: first log line %v, want the start line", tc.cmd, first)
		}
		if last["msg"] != "regprune finished" || last["exitCode"] != float64(tc.code) || last["level"] != tc.level || last["repositories"] != float64(1) {
			t.Errorf("%s: last log line %v, want the summary with exit code %d at %s", tc.cmd, last, tc.code, tc.level)
		}
	}
}

// TestJSONLogsStayJSON: under JSON logs every line on stderr is a JSON
// object, also the error that ends a run before its logger exists (bad
// flag, bad configuration, an output that cannot be written), so a log
// pipeline never meets plain text; under text logs the error stays one
// "regprune: ..." for a person.
func TestJSONLogsStayJSON(t *testing.T) {
	t.Parallel()
	bad := writeConfig(t, "concurrency: lots\npolicies: [{repositories: [acme/app], keep: [{newest: 1}]}]\n")
	good := writeConfig(t, "policies: [{repositories: [127.0.0.1:1/acme/app], keep: [{newest: 1}]}]\n")
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"unknown flag", []string{"plan", "--bogus"}, 2},
		{"bad configuration", []string{"plan", "-c", bad}, 2},
		{"unwritable output", []string{"apply", "-c", good, "--output-file", "/nonexistent/dir/r.json"}, 2},
	} {
		// The default for a stderr that is not a terminal is JSON, as
		// is --log-format json.
		for _, extra := range [][]string{nil, {"--log-format", "json"}, {"--log-format=json"}} {
			r := runCLI(t, nil, append(append([]string{}, tc.args...), extra...)...)
			if r.code != tc.code {
				t.Fatalf("%s %v: exit %d, want %d\n%s", tc.name, extra, r.code, tc.code, r.stderr)
			}
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			for _, l := range lines {
				var rec map[string]any
				if err := json.Unmarshal([]byte(l), &rec); err != nil {
					t.Fatalf("%s %v: stderr line is not JSON: %q", tc.name, extra, l)
				}
			}
			var last map[string]any
			_ = json.Unmarshal([]byte(lines[len(lines)-1]), &last)
			if last["level"] != "ERROR" || last["exitCode"] != float64(tc.code) {
				t.Errorf("%s %v: last line %v, want an ERROR with exitCode %d", tc.name, extra, last, tc.code)
			}
		}
		r := runCLI(t, nil, append(append([]string{}, tc.args...), "--log-format", "text")...)
		if tc.code == 2 && !strings.HasPrefix(r.stderr, "regprune: ") {
			t.Errorf("%s, text logs: stderr %q, want it to start with \"regprune: \"", tc.name, r.stderr)
		}
	}
}
