package config

// A registries entry takes the settings of the providers the binary
// links (apiURL, pacing) and the common ones (maxWait): job's table
// registers them, as in the binary, and retention/registry the common
// ones. The tests read configurations as the binary does.
import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	_ "github.com/regprune/regprune/retention/job"
)

// TestLoadSettings: a registries entry carries the settings of its api
// and the common ones as written, and a setting of another api written
// empty is as if unset.
func TestLoadSettings(t *testing.T) {
	t.Parallel()
	cfg, err := Load(write(t, `registries:
  - host: containers.ghe.example
    api: github
    apiURL: https://ghe.example/api/v3
    pacing: {pointsPerMinute: 0, concurrency: 10}
    maxWait: 5m
  - host: localhost:5000
    pacing:
    apiURL: ""
`+minimal), env(nil))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	got := map[string]any{}
	for k, v := range cfg.Registries[0].Settings {
		got[strings.ToLower(k)] = v
	}
	want := map[string]any{"apiurl": "https://ghe.example/api/v3", "pacing": map[string]any{"pointsperminute": 0, "concurrency": 10}, "maxwait": "5m"}
	if diff := cmp.Diff(want, got, cmp.Transformer("lower", lowerKeys)); diff != "" {
		t.Errorf("registries[0]'s settings (-want +got):\n%s", diff)
	}
}

// lowerKeys spells a mapping's keys in lower case, as viper may.
func lowerKeys(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[strings.ToLower(k)] = v
	}
	return out
}
