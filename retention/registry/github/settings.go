package github

import (
	"time"

	"github.com/regprune/regprune/retention/apis"
	"github.com/regprune/regprune/retention/registry"
	"github.com/regprune/regprune/retention/registry/internal/rest"
)

// DefaultMaxWait is how long a github registry waits at most for what
// GitHub asks (retry-after, its rate-limit reset) unless its registries
// entry sets maxWait: its primary limit resets hourly, and a run that is
// at most 15 minutes from the reset waits it out rather than failing.
const DefaultMaxWait = 15 * time.Minute

// Settings are the keys a registries entry of api: github takes beyond
// the core's and the common ones (registry.Common: maxWait, whose
// default here is DefaultMaxWait). Their order is the order of their
// errors.
type Settings struct {
	// Pacing keeps api: github under the server's secondary limits.
	// Unset: GitHub's documented limits on api.github.com (900 points a
	// minute per endpoint, a GET 1 and a DELETE 5; 100 requests at
	// once), none on GitHub Enterprise Server. Set, its values are used
	// as written, 0 meaning unlimited.
	Pacing *Pacing `mapstructure:"pacing" json:"pacing,omitempty" yaml:"pacing,omitempty" only:"is paced"`
	// APIURL is the REST base; default https://api.github.com, and
	// https://HOST/api/v3 on GitHub Enterprise Server (whose registry
	// host is containers.HOST). api: dockerhub takes one too.
	APIURL string `mapstructure:"apiURL" json:"apiURL,omitempty" yaml:"apiURL,omitempty" only:"take an apiURL"`
}

// checkSettings is the Check of Settings.
func checkSettings(settings map[string]any) []apis.Problem {
	var s Settings
	if err := registry.DecodeSettings(settings, &s); err != nil {
		return []apis.Problem{{Msg: err.Error()}}
	}
	var out []apis.Problem
	if p := s.Pacing; p != nil {
		if p.PointsPerMinute < 0 {
			out = append(out, apis.Problem{Key: "pacing.pointsPerMinute", Msg: "must not be negative (0 is unlimited)"})
		}
		if p.Concurrency < 0 {
			out = append(out, apis.Problem{Key: "pacing.concurrency", Msg: "must not be negative (0 is unlimited)"})
		}
	}
	if s.APIURL != "" {
		if err := rest.CheckBase(s.APIURL); err != nil {
			out = append(out, apis.Problem{Key: "apiURL", Msg: err.Error()})
		}
	}
	return out
}
