package config

import (
	"strings"
	"testing"
	"time"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/apis"
)

func TestHostWarnings(t *testing.T) {
	tests := []struct {
		hosts []string
		want  int
	}{
		{[]string{"localhost:5000", "127.0.0.1:5000"}, 0}, // one registry, provably
		{[]string{"registry.corp:5000", "10.0.0.7:5000"}, 1},
		{[]string{"registry", "registry.corp.example"}, 1},
		{[]string{"registry.corp:443", "registry.corp"}, 0},
		{[]string{"ghcr.io", "docker.io"}, 0},
		{[]string{"a.example:5000", "b.example:5001"}, 0},
	}
	for _, tc := range tests {
		var c retention.Config
		for _, h := range tc.hosts {
			c.Registries = append(c.Registries, retention.Registry{Host: h})
		}
		if got := HostWarnings(&c); len(got) != tc.want {
			t.Errorf("HostWarnings(%q) = %q, want %d warnings", tc.hosts, got, tc.want)
		}
	}
}

func TestProviderWarnings(t *testing.T) {
	pushed := retention.Policy{Clock: retention.ClockPushed, Keep: []retention.KeepRule{{Newest: 1}}}
	untagged := retention.Policy{Untagged: &retention.UntaggedRule{OlderThan: retention.Duration(time.Hour)}}
	for _, tc := range []struct {
		name  string
		regs  []retention.Registry
		pol   retention.Policy
		repos []string
		want  []string
	}{
		{"pushed on ghcr.io", nil, pushed, []string{"ghcr.io/acme/app"}, nil},
		{"pushed on an OCI registry", nil, pushed, []string{"ghcr.io/acme/app", "registry.example/app", "registry.example/web"},
			[]string{"policies[0].clock: pushed: registry.example gives no push times"}},
		{"untagged on an OCI registry", nil, untagged, []string{"registry.example/app"}, []string{"policies[0].untagged: registry.example cannot list untagged manifests"}},
		{"untagged on GHES", []retention.Registry{{Host: "containers.ghe.example", API: apis.GitHub}}, untagged, []string{"containers.ghe.example/acme/app"}, nil},
		{"created on an OCI registry", nil, retention.Policy{Keep: []retention.KeepRule{{Newest: 1}}}, []string{"registry.example/app"}, nil},
		{"pulledWithin on ghcr.io", nil, retention.Policy{Keep: []retention.KeepRule{{PulledWithin: retention.Duration(time.Hour)}}}, []string{"ghcr.io/acme/app"}, []string{"policies[0].keep[0].pulledWithin: ghcr.io reports no pull times"}},
		{"pulledWithin on Docker Hub", nil, retention.Policy{Keep: []retention.KeepRule{{PulledWithin: retention.Duration(time.Hour)}}}, []string{"docker.io/acme/app"}, nil},
	} {
		tc.pol.Repositories = tc.repos
		c := retention.Config{Registries: tc.regs, Policies: []retention.Policy{tc.pol}}
		got := ProviderWarnings(&c)
		if len(got) != len(tc.want) {
			t.Errorf("%s: %q, want %d warnings", tc.name, got, len(tc.want))
			continue
		}
		for i := range got {
			if !strings.HasPrefix(got[i], tc.want[i]) {
				t.Errorf("%s: %q, want it to start %q", tc.name, got[i], tc.want[i])
			}
		}
	}
}
