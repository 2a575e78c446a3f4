package config

import (
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestLineOf(t *testing.T) {
	const doc = `concurrency: 2
Registries:
  - host: a
  - host: b
    api: rest
base: &base
  keep: [{newest: 1}]
policies:
  - <<: *base
    repositories: [x,
      y]
local: {docker: {localOnly: maybe}}
`
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &n); err != nil {
		t.Fatal(err)
	}
	root := n.Content[0]
	for _, tc := range []struct {
		path string
		want int
	}{
		{"", 0},
		{"concurrency", 1},
		{"registries[1].api", 5},            // keys match without case
		{"registries[1]", 4},                // an item is at its first key
		{"registries[7].api", 2},            // no such item: the list's line
		{"minAge", 0},                       // not in the file (a default or the environment)
		{"policies[0].repositories[1]", 11}, // a flow list over two lines
		{"policies[0].keep", 9},             // from a merge key: the merge's line
		{"local.docker.localOnly", 12},
		{"local.docker.localOnly.deeper", 12},
	} {
		if got := lineOf(root, tc.path); got != tc.want {
			t.Errorf("lineOf(%q) = %d, want %d", tc.path, got, tc.want)
		}
	}
}
