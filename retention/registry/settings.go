package registry

import (
	"fmt"

	"github.com/go-viper/mapstructure/v2"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/apis"
)

// Common are the settings every registries entry takes, whatever its
// api: a setting of the registry, not of one API. maxWait caps the
// waits the OCI side asks for (the OCI client's, for every host) as
// much as those of a provider's own API, and a registry without a
// provider of its own (api: oci) has nowhere else to take it from.
type Common struct {
	// MaxWait caps every wait this registry asks for (Retry-After,
	// X-Retry-After, x-ratelimit-reset): asked for longer, the request
	// fails at once and its repository fails, naming the wait. Default
	// 60s; for api: github 15m, so a run waits out GitHub's rate-limit
	// reset when it is that near.
	MaxWait retention.Duration `mapstructure:"maxWait" json:"maxWait,omitempty" yaml:"maxWait,omitempty"`
}

func init() { apis.RegisterCommon(Common{}, checkCommon) }

// checkCommon is the Check of the common settings.
func checkCommon(settings map[string]any) []apis.Problem {
	var c Common
	if err := DecodeSettings(settings, &c); err != nil {
		return []apis.Problem{{Msg: err.Error()}}
	}
	if c.MaxWait < 0 {
		return []apis.Problem{{Key: "maxWait", Msg: "must not be negative (leave it out for the default)"}}
	}
	return nil
}

// CommonOf decodes reg's common settings.
func CommonOf(reg retention.Registry) (Common, error) {
	var c Common
	if err := DecodeSettings(reg.Settings, &c); err != nil {
		return Common{}, fmt.Errorf("registries: %s: %w", reg.Host, err)
	}
	return c, nil
}

// DecodeSettings decodes settings (a registries entry's keys beyond the
// core's, as the configuration decoded them, or some of them) into
// into, a pointer to a settings struct, the way the configuration
// decodes: keys without regard to case, no weak typing (the
// configuration's strict decoding has checked every value against the
// struct's types), durations and sizes from their text. The keys into
// does not have are another API's, or common, and are left.
func DecodeSettings(settings map[string]any, into any) error {
	d, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		DecodeHook: mapstructure.TextUnmarshallerHookFunc(),
		Result:     into,
	})
	if err != nil {
		return fmt.Errorf("decoding the settings: %w", err)
	}
	if err := d.Decode(settings); err != nil {
		return fmt.Errorf("decoding the settings: %w", err)
	}
	return nil
}
