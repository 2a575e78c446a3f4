package registry_test

import (
	"strings"
	"testing"
	"time"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/registry"
)

// TestCommon: maxWait is a setting of every registries entry, whatever
// its api; it is read without regard to case, from its text as from a
// Duration, and Compile refuses it negative, at its key.
func TestCommon(t *testing.T) {
	for _, tc := range []struct {
		settings map[string]any
		want     time.Duration
	}{
		{nil, 0},
		{map[string]any{"maxwait": "90s"}, 90 * time.Second},
		{map[string]any{"maxWait": retention.Duration(time.Minute), "pacing": map[string]any{"concurrency": 1}}, time.Minute},
	} {
		c, err := registry.CommonOf(retention.Registry{Host: "registry.example", Settings: tc.settings})
		if err != nil || time.Duration(c.MaxWait) != tc.want {
			t.Errorf("CommonOf(%v) = %v, %v; want maxWait %s", tc.settings, c, err, tc.want)
		}
	}
	if _, err := registry.CommonOf(retention.Registry{Host: "registry.example", Settings: map[string]any{"maxWait": "soon"}}); err == nil || !strings.HasPrefix(err.Error(), "registries: registry.example: decoding the settings: ") {
		t.Errorf("CommonOf(maxWait: soon) = %v, want a decoding error naming the registry", err)
	}
	cfg := retention.Config{Registries: []retention.Registry{{Host: "registry.example", Settings: map[string]any{"maxWait": retention.Duration(-time.Second)}}}}
	_, err := cfg.Compile()
	if want := "registries[0].maxWait: must not be negative (leave it out for the default)"; err == nil || err.Error() != want {
		t.Errorf("Compile = %v, want %q", err, want)
	}
}
