package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/apis"
)

// env returns a lookup over m, standing in for the process environment.
func env(m map[string]string) Option {
	return WithEnv(func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	})
}

// write puts content in a regprune.yaml of its own and returns the path.
func write(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "regprune.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// minimal is the smallest valid configuration, for tests about scalars.
const minimal = `
policies:
  - repositories: ["localhost:5000/app"]
    keep: [{newest: 1}]
`

func TestLoadExample(t *testing.T) {
	t.Parallel()
	got, err := Load("../../config.example.yaml", env(map[string]string{"REGISTRY_PASSWORD": "hunter2"}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := &retention.Config{
		Concurrency:  8,
		MaxDeletions: 200,
		MinAge:       retention.Duration(24 * time.Hour),
		Protect:      retention.Protect{Tags: []string{"latest", "/^release-.+$/"}},
		Registries: []retention.Registry{{
			Host: "localhost:5000", Insecure: true, Username: "ci", Password: "hunter2",
		}, {
			Host: "ghcr.io", API: apis.GitHub,
		}},
		CloudLogins:    ptr(true),
		StateRetention: retention.Duration(30 * 24 * time.Hour),
		Policies: []retention.Policy{{
			Name:         "api",
			Repositories: []string{"localhost:5000/acme/api", "localhost:5000/acme/web-*"},
			Exclude:      []string{"localhost:5000/acme/web-legacy"},
			Tags:         []string{"*"},
			Keep: []retention.KeepRule{
				{Tags: []string{"v*"}, Semver: &retention.SemverRule{Highest: 3, GroupBy: "minor"}},
				{Tags: []string{"main-*", "pr-*"}, Newest: 5},
				{YoungerThan: retention.Duration(30 * 24 * time.Hour)},
				{Tags: []string{"stable"}},
			},
		}, {
			Name:         "ghcr",
			Repositories: []string{"ghcr.io/acme/app"},
			Clock:        retention.ClockPushed,
			Keep:         []retention.KeepRule{{Newest: 10}},
			Untagged:     &retention.UntaggedRule{OlderThan: retention.Duration(7 * 24 * time.Hour)},
		}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load mismatch (-want +got):\n%s", diff)
	}
	if _, err := got.Compile(); err != nil {
		t.Errorf("Compile: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

// TestLoadCloudLogins: on by default, off with cloudLogins: false, and
// anything but a boolean is refused.
func TestLoadCloudLogins(t *testing.T) {
	t.Parallel()
	for file, want := range map[string]bool{minimal: true, "cloudLogins: true\n" + minimal: true, "cloudLogins: false\n" + minimal: false} {
		cfg, err := Load(write(t, file), env(nil))
		if err != nil {
			t.Fatalf("Load(%q): %v", file, err)
		}
		if got := cfg.CloudLogins == nil || *cfg.CloudLogins; got != want {
			t.Errorf("Load(%q): cloud logins %v, want %v", file, got, want)
		}
	}
	_, err := Load(write(t, "cloudLogins: no\n"+minimal), env(nil))
	if err == nil || !strings.Contains(err.Error(), "cloudLogins") {
		t.Errorf("cloudLogins: no: err %v, want one naming cloudLogins", err)
	}
}

func TestLoadPrecedence(t *testing.T) {
	t.Parallel()
	type scalars struct {
		Concurrency, MaxDeletions int
		MinAge                    retention.Duration
	}
	tests := []struct {
		name      string
		file      string
		env       map[string]string
		overrides map[string]any
		want      scalars
	}{{
		name: "defaults",
		file: minimal,
		want: scalars{Concurrency: 8},
	}, {
		name: "file over defaults",
		file: "concurrency: 3\nmaxDeletions: 10\nminAge: 2w\n" + minimal,
		want: scalars{3, 10, retention.Duration(14 * 24 * time.Hour)},
	}, {
		name: "zero duration",
		file: "minAge: 0\n" + minimal,
		want: scalars{Concurrency: 8},
	}, {
		name: "env over file",
		file: "concurrency: 3\nmaxDeletions: 10\nminAge: 2w\n" + minimal,
		env:  map[string]string{"REGPRUNE_CONCURRENCY": "4", "REGPRUNE_MAXDELETIONS": "0", "REGPRUNE_MINAGE": "36h"},
		want: scalars{4, 0, retention.Duration(36 * time.Hour)},
	}, {
		name: "empty env is unset",
		file: "concurrency: 3\n" + minimal,
		env:  map[string]string{"REGPRUNE_CONCURRENCY": ""},
		want: scalars{Concurrency: 3},
	}, {
		name: "env over defaults",
		file: minimal,
		env:  map[string]string{"REGPRUNE_MAXDELETIONS": "7"},
		want: scalars{Concurrency: 8, MaxDeletions: 7},
	}, {
		name:      "overrides over env and file",
		file:      "concurrency: 3\nminAge: 2w\n" + minimal,
		env:       map[string]string{"REGPRUNE_CONCURRENCY": "4", "REGPRUNE_MINAGE": "1d"},
		overrides: map[string]any{"concurrency": 16, "minAge": "90m"},
		want:      scalars{16, 0, retention.Duration(90 * time.Minute)},
	}, {
		name:      "typed duration override",
		file:      minimal,
		overrides: map[string]any{"minAge": time.Hour, "maxDeletions": 5},
		want:      scalars{8, 5, retention.Duration(time.Hour)},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Load(write(t, tt.file), env(tt.env), WithOverrides(tt.overrides))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			got := scalars{cfg.Concurrency, cfg.MaxDeletions, cfg.MinAge}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		flag string
		env  map[string]string
		want string
	}{
		{name: "default", want: "regprune.yaml"},
		{name: "env", env: map[string]string{"REGPRUNE_CONFIG": "/etc/regprune.yaml"}, want: "/etc/regprune.yaml"},
		{name: "empty env", env: map[string]string{"REGPRUNE_CONFIG": ""}, want: "regprune.yaml"},
		{name: "flag over env", flag: "ci.yaml", env: map[string]string{"REGPRUNE_CONFIG": "/etc/regprune.yaml"}, want: "ci.yaml"},
		{name: "flag", flag: "ci.yaml", want: "ci.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Path(tt.flag, func(k string) string { return tt.env[k] })
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Path (-want +got):\n%s", diff)
			}
		})
	}
}

// badInputs are files that fail to load, with the lines the error must
// hold, each naming the place. Shared with the fuzz test's seed corpus.
var badInputs = []struct {
	name string
	file string
	env  map[string]string
	want []string
}{{
	name: "invalid yaml",
	file: "concurrency: 8\npolicies: [\n  - a: b\n",
	want: []string{"regprune.yaml: invalid YAML: line 2: did not find expected node content"},
}, {
	// The parser itself says line 1: where the list began, counted from 0.
	name: "indentation error on line 3",
	file: "policies:\n  - name: p\n   repositories: [a]\n    keep: [{newest: 1}]\n",
	want: []string{"regprune.yaml: invalid YAML: line 3: did not find expected '-' indicator"},
}, {
	name: "key outdented on line 5",
	file: "concurrency: 2\nprotect:\n  tags: [latest]\n  digests: []\n digestz: []\n",
	want: []string{"regprune.yaml: invalid YAML: line 5: did not find expected key"},
}, {
	name: "flow list left open on line 3",
	file: "protect:\n  tags: [latest]\n  digests: [a, b\n  images: []\n",
	want: []string{"regprune.yaml: invalid YAML: line 3: did not find expected ',' or ']'"},
}, {
	name: "tab indentation",
	file: "protect:\n\ttags: [a]\n",
	want: []string{"regprune.yaml: invalid YAML: line 2: "},
}, {
	name: "duplicate key",
	file: "concurrency: 1\nconcurrency: 2\n",
	want: []string{"regprune.yaml: invalid YAML: line 2: ", `"concurrency" already defined at line 1`},
}, {
	name: "not a mapping",
	file: "- policies\n",
	want: []string{"regprune.yaml: line 1: the document must be a mapping"},
}, {
	name: "dotted key",
	file: "protect.tags: [latest]\n" + minimal,
	want: []string{`regprune.yaml: line 1: key "protect.tags": keys cannot hold a dot`},
}, {
	name: "keys differing in case",
	file: "maxDeletions: 1\nmaxdeletions: 2\n" + minimal,
	want: []string{`regprune.yaml: line 2: key "maxdeletions" repeats "maxDeletions" (keys ignore case)`},
}, {
	name: "unknown top-level key",
	file: "locals: {docker: {}}\n" + minimal,
	want: []string{`regprune.yaml: line 1: unknown key "locals"`},
}, {
	name: "a key in the wrong case",
	file: "minage: 1h\n" + minimal,
	want: []string{`regprune.yaml: line 1: unknown key "minage" (did you mean "minAge"?)`},
}, {
	name: "a misspelt key",
	file: "maxDeletion: 5\n" + minimal,
	want: []string{`regprune.yaml: line 1: unknown key "maxDeletion" (did you mean "maxDeletions"?)`},
}, {
	name: "local.docker of the wrong type",
	file: "local: {docker: true}\n" + minimal,
	want: []string{`regprune.yaml: line 1: local.docker: want a mapping of keys`},
}, {
	name: "unknown key in local.docker",
	file: "local: {docker: {followremote: true, prune: all}}\n" + minimal,
	want: []string{`regprune.yaml: line 1: local.docker: unknown key "prune"`},
}, {
	name: "bad localOnly",
	file: "local: {docker: {localOnly: maybe}}\n" + minimal,
	want: []string{`regprune.yaml: line 1: local.docker.localOnly: must be protect or allow (got "maybe")`},
}, {
	name: "bad size",
	file: "local: {docker: {buildCache: {keepStorage: 10XB}}}\n" + minimal,
	want: []string{`regprune.yaml: line 1: local.docker.buildCache.keepStorage: invalid size "10XB"`},
}, {
	name: "empty buildCache",
	file: "local: {docker: {buildCache: {olderThan: 0s}}}\n" + minimal,
	want: []string{`regprune.yaml: line 1: local.docker.buildCache: set olderThan, keepStorage or both`},
}, {
	name: "negative size",
	file: "local: {layouts: [{path: /tmp/x, maxSize: -5}]}\n" + minimal,
	want: []string{`regprune.yaml: line 1: local.layouts[0].maxSize: must not be negative`},
}, {
	name: "layout without a path",
	file: "local: {layouts: [{maxSize: 1GiB}]}\n" + minimal,
	want: []string{`regprune.yaml: line 1: local.layouts[0].path: is required`},
}, {
	name: "arrived on a registry",
	file: `policies:
  - repositories: ["localhost:5000/app"]
    clock: arrived
    keep: [{newest: 1}]
`,
	want: []string{`regprune.yaml: line 3: policies[0].clock: must be created or pushed (got "arrived")`},
}, {
	name: "unknown api",
	file: "registries:\n  - host: ghcr.io\n    api: rest\n" + minimal,
	want: []string{`regprune.yaml: line 3: registries[0].api: must be oci, github or dockerhub (got "rest")`},
}, {
	name: "apiURL not a URL",
	file: "registries:\n  - host: containers.ghe.example\n    api: github\n    apiURL: ghe.example/api/v3\n" + minimal,
	want: []string{`regprune.yaml: line 4: registries[0].apiURL: "ghe.example/api/v3" is not an http(s) URL`},
}, {
	name: "apiURL on an oci registry",
	file: "registries:\n  - host: localhost:5000\n    apiURL: https://api.github.com\n" + minimal,
	want: []string{`regprune.yaml: line 3: registries[0].apiURL: only api: github and api: dockerhub take an apiURL`},
}, {
	name: "negative pacing",
	file: "registries:\n  - host: ghcr.io\n    pacing:\n      pointsPerMinute: -5\n" + minimal,
	want: []string{`regprune.yaml: line 4: registries[0].pacing.pointsPerMinute: must not be negative`},
}, {
	name: "pacing an oci registry",
	file: "registries:\n  - host: localhost:5000\n    pacing: {concurrency: 4}\n" + minimal,
	want: []string{`regprune.yaml: line 3: registries[0].pacing: only api: github is paced`},
}, {
	name: "settings of other apis, on one line",
	file: `registries: [{host: localhost:5000, maxWait: -1s, api: rest, pacing: {pointsPerMinute: -1, concurrency: -2}, apiURL: x}, {host: quay.io, pacing: {}, apiURL: "https://q"}]` + minimal,
	want: []string{`regprune.yaml: line 1: registries[0].maxWait: duration "-1s" is negative
regprune.yaml: line 1: registries[0].api: must be oci, github or dockerhub (got "rest")
regprune.yaml: line 1: registries[0].pacing.pointsPerMinute: must not be negative (0 is unlimited)
regprune.yaml: line 1: registries[0].pacing.concurrency: must not be negative (0 is unlimited)
regprune.yaml: line 1: registries[0].pacing: only api: github is paced
regprune.yaml: line 1: registries[0].apiURL: "x" is not an http(s) URL
regprune.yaml: line 1: registries[1].pacing: only api: github is paced
regprune.yaml: line 1: registries[1].apiURL: only api: github and api: dockerhub take an apiURL`},
}, {
	name: "misspelt settings",
	file: `registries: [{host: ghcr.io, pacng: {pointsPerMinute: 1}, apiUrl: "https://x", maxwait: 1m, pacing: {pointsPerMinut: 1}}]` + minimal,
	want: []string{`regprune.yaml: line 1: registries[0]: unknown key "apiUrl" (did you mean "apiURL"?)
regprune.yaml: line 1: registries[0]: unknown key "maxwait" (did you mean "maxWait"?)
regprune.yaml: line 1: registries[0].pacing: unknown key "pointsPerMinut" (did you mean "pointsPerMinute"?)
regprune.yaml: line 1: registries[0]: unknown key "pacng" (did you mean "pacing"?)`},
}, {
	name: "problems in file order",
	file: "policies:\n  - repositories: [\"localhost:5000/app\"]\n    clock: arrived\n    keep: [{newest: 1}]\nregistries:\n  - host: ghcr.io\n    api: rest\n",
	want: []string{"regprune.yaml: line 3: policies[0].clock: must be created or pushed (got \"arrived\")\nregprune.yaml: line 7: registries[0].api"},
}, {
	name: "bad clock",
	file: "local: {docker: {policies: [{repositories: [acme/*], clock: pulled, keep: [{newest: 1}]}]}}\n",
	want: []string{`regprune.yaml: line 1: local.docker.policies[0].clock: must be arrived or created (got "pulled")`},
}, {
	name: "unknown key in protect",
	file: "protect: {tag: [latest]}\n" + minimal,
	want: []string{`regprune.yaml: line 1: protect: unknown key "tag"`},
}, {
	name: "unknown key in registries",
	file: "registries: [{host: localhost:5000, user: ci}]\n" + minimal,
	want: []string{`regprune.yaml: line 1: registries[0]: unknown key "user"`},
}, {
	name: "unknown key in policies",
	file: minimal + "    repository: x\n",
	want: []string{`regprune.yaml: line 5: policies[0]: unknown key "repository"`},
}, {
	name: "unknown key in keep",
	file: `
policies:
  - repositories: ["localhost:5000/app"]
    keep:
      - newest: 1
      - newset: 2
`,
	want: []string{`regprune.yaml: line 6: policies[0].keep[1]: unknown key "newset"`},
}, {
	name: "unknown key in semver",
	file: `
policies:
  - repositories: ["localhost:5000/app"]
    keep: [{semver: {highest: 1, group: minor}}]
`,
	want: []string{`regprune.yaml: line 4: policies[0].keep[0].semver: unknown key "group"`},
}, {
	name: "every problem reported",
	file: "concurency: 1\nprotect: {tag: [x]}\n" + minimal,
	want: []string{`regprune.yaml: line 1: unknown key "concurency"`, `regprune.yaml: line 2: protect: unknown key "tag"`},
}, {
	name: "string for a number",
	file: "concurrency: many\n" + minimal,
	want: []string{"regprune.yaml: line 1: concurrency: want a whole number, got a string"},
}, {
	name: "quoted number",
	file: `maxDeletions: "5"` + "\n" + minimal,
	want: []string{"regprune.yaml: line 1: maxDeletions: want a whole number, got a string"},
}, {
	name: "fraction",
	file: "concurrency: 2.5\n" + minimal,
	want: []string{"regprune.yaml: line 1: concurrency: want a whole number, got a number with a fraction"},
}, {
	name: "number for a list",
	file: minimal + "    tags: 5\n",
	want: []string{"regprune.yaml: line 5: policies[0].tags: want a list, got a number"},
}, {
	name: "string for a list",
	file: "protect: {tags: latest}\n" + minimal,
	want: []string{"regprune.yaml: line 1: protect.tags: want a list, got a string"},
}, {
	name: "number for a string",
	file: "protect: {tags: [1]}\n" + minimal,
	want: []string{"regprune.yaml: line 1: protect.tags[0]: want a string, got a number"},
}, {
	name: "list for a mapping",
	file: "protect: [latest]\n" + minimal,
	want: []string{"regprune.yaml: line 1: protect: want a mapping of keys, got a list"},
}, {
	name: "number for a boolean",
	file: "registries: [{host: localhost:5000, insecure: 1}]\n" + minimal,
	want: []string{"regprune.yaml: line 1: registries[0].insecure: want true or false, got a number"},
}, {
	name: "negative number",
	file: "concurrency: -1\n" + minimal,
	want: []string{"regprune.yaml: line 1: concurrency: must not be negative"},
}, {
	name: "negative maxDeletions",
	file: "maxDeletions: -5\n" + minimal,
	want: []string{"regprune.yaml: line 1: maxDeletions: must not be negative"},
}, {
	name: "negative stateRetention",
	file: "stateRetention: -24h\n" + minimal,
	want: []string{`regprune.yaml: line 1: stateRetention: duration "-24h" is negative`},
}, {
	name: "negative newest",
	file: `
policies:
  - repositories: ["localhost:5000/app"]
    keep: [{newest: -1}]
`,
	want: []string{"regprune.yaml: line 4: policies[0].keep[0].newest: must not be negative"},
}, {
	name: "zero concurrency",
	file: "concurrency: 0\n" + minimal,
	want: []string{"regprune.yaml: line 1: concurrency: must be at least 1"},
}, {
	name: "bare number duration",
	file: "minAge: 30\n" + minimal,
	want: []string{"regprune.yaml: line 1: minAge: a duration needs a unit"},
}, {
	name: "bad duration unit",
	file: "minAge: 3y\n" + minimal,
	want: []string{`regprune.yaml: line 1: minAge: invalid duration "3y": unknown unit "y"`},
}, {
	name: "negative duration",
	file: `
policies:
  - repositories: ["localhost:5000/app"]
    keep: [{youngerThan: -2d}]
`,
	want: []string{`regprune.yaml: line 4: policies[0].keep[0].youngerThan: duration "-2d" is negative`},
}, {
	name: "bad glob",
	file: "protect: {tags: [latest, \"v[\"]}\n" + minimal,
	want: []string{`regprune.yaml: line 1: protect.tags[1]: invalid glob "v["`},
}, {
	name: "every bad pattern of a list",
	file: `
protect: {tags: ["v[", ok, "w["]}
policies:
  - repositories: ["localhost:5000/app"]
    keep: [{tags: ["/(/", "a[", ok]}]
`,
	want: []string{
		`regprune.yaml: line 2: protect.tags[0]: invalid glob "v["`,
		`regprune.yaml: line 2: protect.tags[2]: invalid glob "w["`,
		"regprune.yaml: line 5: policies[0].keep[0].tags[0]: invalid regular expression /(/",
		`regprune.yaml: line 5: policies[0].keep[0].tags[1]: invalid glob "a["`,
	},
}, {
	name: "bad regex",
	file: `
policies:
  - repositories: ["localhost:5000/app"]
    keep: [{tags: ["/(/"]}]
`,
	want: []string{"regprune.yaml: line 4: policies[0].keep[0].tags[0]: invalid regular expression /(/"},
}, {
	name: "policy without repositories",
	file: "policies: [{name: api, keep: [{newest: 1}]}]\n",
	want: []string{"regprune.yaml: line 1: policies[0].repositories: a policy needs at least one repository"},
}, {
	name: "repository without host",
	file: `
policies:
  - repositories: ["acme/app"]
    keep: [{newest: 1}]
`,
	want: []string{`regprune.yaml: line 3: policies[0].repositories[0]: "acme/app" must start with a registry host`},
}, {
	name: "unset variable",
	file: "registries: [{host: localhost:5000, username: ci, password: \"${NOPE}\"}]\n" + minimal,
	want: []string{"regprune.yaml: line 1: registries[0].password: environment variable NOPE is not set"},
}, {
	name: "unset variable in repositories",
	file: `
policies:
  - repositories: ["${REGISTRY}/app"]
    exclude: ["${REGISTRY}/app/old"]
    keep: [{newest: 1}]
`,
	want: []string{
		"regprune.yaml: line 3: policies[0].repositories[0]: environment variable REGISTRY is not set",
		"regprune.yaml: line 4: policies[0].exclude[0]: environment variable REGISTRY is not set",
	},
}, {
	name: "unterminated variable",
	file: "registries: [{host: \"${HOST\"}]\n" + minimal,
	want: []string{"regprune.yaml: line 1: registries[0].host: unterminated ${"},
}, {
	name: "bad env number",
	file: minimal,
	env:  map[string]string{"REGPRUNE_CONCURRENCY": "lots"},
	want: []string{"REGPRUNE_CONCURRENCY: want a whole number"},
}, {
	name: "zero env concurrency",
	file: minimal,
	env:  map[string]string{"REGPRUNE_CONCURRENCY": "0"},
	want: []string{"REGPRUNE_CONCURRENCY: want a whole number, 1 or more"},
}, {
	name: "bad env duration",
	file: minimal,
	env:  map[string]string{"REGPRUNE_MINAGE": "30"},
	want: []string{"REGPRUNE_MINAGE: want a duration"},
}}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range badInputs {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := write(t, tt.file)
			_, err := Load(path, env(tt.env))
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			var cerr *Error
			if !errors.As(err, &cerr) {
				t.Fatalf("error is %T, want *config.Error: %v", err, err)
			}
			// Messages name the file as the user wrote it, not the temp
			// directory.
			msg := strings.ReplaceAll(err.Error(), path, "regprune.yaml")
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error does not contain %q:\n%s", w, msg)
				}
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "nope.yaml")
	_, err := Load(path)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(err, fs.ErrNotExist) = false for %v", err)
	}
	for _, w := range []string{path + ": configuration file not found", "-c/--config", "REGPRUNE_CONFIG"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v does not contain %q", err, w)
		}
	}
}

func TestLoadCompileErrorsAreFieldErrors(t *testing.T) {
	t.Parallel()
	_, err := Load(write(t, "policies: [{keep: [{newest: 1}]}]\n"))
	var fe *retention.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("errors.As(*retention.FieldError) = false for %v", err)
	}
	if diff := cmp.Diff("policies[0].repositories", fe.Key); diff != "" {
		t.Errorf("key (-want +got):\n%s", diff)
	}
}

func TestLoadOverrideErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		overrides map[string]any
		want      string
	}{
		{"unknown key", map[string]any{"policies": nil}, "policies: cannot be overridden"},
		{"wrong type", map[string]any{"concurrency": "8"}, "concurrency: want a whole number, got a string"},
		{"bad duration", map[string]any{"minAge": "soon"}, `minAge: invalid duration "soon"`},
		{"zero concurrency", map[string]any{"concurrency": 0}, "concurrency: must be at least 1 (got 0)"},
		{"negative", map[string]any{"maxDeletions": -1}, "maxDeletions: must be at least 0 (got -1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(write(t, minimal), WithOverrides(tt.overrides))
			var cerr *Error
			if !errors.As(err, &cerr) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want a *config.Error containing %q", err, tt.want)
			}
		})
	}
}

// TestLoadSecrets checks that a password never reaches an error message,
// whatever else is wrong in the file.
func TestLoadSecrets(t *testing.T) {
	t.Parallel()
	const secret = "Tr0ub4dor&3"
	tests := []struct {
		name string
		file string
		env  map[string]string
	}{{
		name: "literal password, unknown key",
		file: "registries: [{host: localhost:5000, username: ci, password: " + secret + ", tls: no}]\n" + minimal,
	}, {
		name: "literal password, compile error",
		file: "registries: [{host: \"bad host\", username: ci, password: " + secret + "}]\n" + minimal,
	}, {
		name: "password without username",
		file: "registries: [{host: localhost:5000, password: " + secret + "}]\n" + minimal,
	}, {
		name: "password in the wrong place",
		file: "concurrency: " + secret + "\n" + minimal,
	}, {
		name: "password with an invalid variable",
		file: "registries: [{host: localhost:5000, username: ci, password: \"" + secret + "${x y}\"}]\n" + minimal,
	}, {
		name: "password in a list where a string belongs",
		file: "registries: [{host: localhost:5000, username: ci, password: [" + secret + "]}]\n" + minimal,
	}, {
		name: "expanded password, other error",
		file: "registries: [{host: localhost:5000, username: ci, password: \"${PW}\"}]\nconcurrency: -1\n" + minimal,
		env:  map[string]string{"PW": secret},
	}, {
		name: "document is the password",
		file: secret + "\n",
	}, {
		name: "invalid YAML after the password",
		file: "registries: [{host: localhost:5000, username: ci, password: " + secret + "}]\n\tbad: [\n",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(write(t, tt.file), env(tt.env))
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error mentions the secret:\n%v", err)
			}
		})
	}
}

// TestLoadReportsEveryErrorAtOnce: a value of the wrong type does not
// hide the semantic errors elsewhere; all come in one message, in file
// order, and a removed value's echo ("a policy needs a rule" once the
// misspelt rule is gone) is not reported twice.
func TestLoadReportsEveryErrorAtOnce(t *testing.T) {
	t.Parallel()
	path := write(t, `concurrency: lots
policies:
  - repositories: ["localhost:5000/app"]
    keep: [{newset: 3}]
  - "just a string"
  - repositories: ["acme/app"]
    keep: [{tags: [latest]}]
maxDeletions: -5
protect: {tags: [latest, "v["]}
`)
	_, err := Load(path)
	if err == nil {
		t.Fatal("Load succeeded, want an error")
	}
	msg := strings.ReplaceAll(err.Error(), path, "regprune.yaml")
	want := []string{
		`regprune.yaml: line 1: concurrency: want a whole number, got a string`,
		`regprune.yaml: line 4: policies[0].keep[0]: unknown key "newset" (did you mean "newest"?)`,
		`regprune.yaml: line 5: policies[1]: want a mapping of keys, got a string`,
		`regprune.yaml: line 6: policies[2].repositories[0]: "acme/app" must start with a registry host`,
		`regprune.yaml: line 8: maxDeletions: must not be negative (got -5)`,
		`regprune.yaml: line 9: protect.tags[1]: invalid glob "v["`,
	}
	lines := strings.Split(msg, "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%s", len(lines), len(want), msg)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("error %d = %q\nwant it to start with %q", i+1, lines[i], w)
		}
	}
}

func TestPrune(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ path, parent string }{
		{"a", ""},
		{"a.b", "a"},
		{"a.b[2]", "a.b"},
		{"a.b[2].c", "a.b[2]"},
		{"a[0][1]", "a[0]"},
	} {
		if got := parent(tc.path); got != tc.parent {
			t.Errorf("parent(%q) = %q, want %q", tc.path, got, tc.parent)
		}
	}
	doc := map[string]any{"a": []any{map[string]any{"b": 1, "c": 2}, "x"}}
	if !removeAt(doc, steps("a[0].b")) || !removeAt(doc, steps("a[1]")) {
		t.Fatal("removeAt did not find a path that is there")
	}
	if removeAt(doc, steps("a[5]")) || removeAt(doc, steps("z.y")) || removeAt(doc, steps("a[0].c.d")) {
		t.Fatal("removeAt removed a path that is not there")
	}
	l := doc["a"].([]any)
	if len(l) != 2 || l[1] != nil || len(l[0].(map[string]any)) != 1 {
		t.Fatalf("after removing: %v", doc)
	}
}
