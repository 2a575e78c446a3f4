package dockerhub

import (
	"github.com/regprune/regprune/retention/apis"
	"github.com/regprune/regprune/retention/registry"
	"github.com/regprune/regprune/retention/registry/internal/rest"
)

// Settings are the keys a registries entry of api: dockerhub takes
// beyond the core's and the common ones (registry.Common: maxWait,
// default 60s).
type Settings struct {
	// APIURL is the Hub API's base; default https://hub.docker.com.
	// api: github takes one too.
	APIURL string `mapstructure:"apiURL" json:"apiURL,omitempty" yaml:"apiURL,omitempty" only:"take an apiURL"`
}

// checkSettings is the Check of Settings.
func checkSettings(settings map[string]any) []apis.Problem {
	var s Settings
	if err := registry.DecodeSettings(settings, &s); err != nil {
		return []apis.Problem{{Msg: err.Error()}}
	}
	if s.APIURL != "" {
		if err := rest.CheckBase(s.APIURL); err != nil {
			return []apis.Problem{{Key: "apiURL", Msg: err.Error()}}
		}
	}
	return nil
}
