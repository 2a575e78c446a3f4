package github

import (
	"testing"
	"time"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/registry"
	"github.com/regprune/regprune/retention/registry/oci"
)

// TestProviderMaxWait: a github registry waits at most 15 minutes by
// default (GitHub's limit resets hourly), or its entry's maxWait.
func TestProviderMaxWait(t *testing.T) {
	o, err := oci.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		set  time.Duration
		want time.Duration
	}{{0, 15 * time.Minute}, {30 * time.Second, 30 * time.Second}} {
		p, err := newProvider(retention.Registry{Host: "ghcr.io", Settings: map[string]any{"maxWait": retention.Duration(tc.set)}}, registry.Env{OCI: o})
		if err != nil {
			t.Fatal(err)
		}
		if got := p.(*Client).maxWait; got != tc.want {
			t.Errorf("maxWait %s set: %s, want %s", tc.set, got, tc.want)
		}
	}
}
