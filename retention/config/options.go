package config

import (
	"fmt"
	"maps"
	"os"
)

// Option configures Load. An option that is given bad input fails Load.
type Option func(*options) error

type options struct {
	lookup    func(string) (string, bool)
	overrides map[string]any
	// unsetCredential, when set, takes an unset ${VAR} in a registry's
	// username or password instead of failing.
	unsetCredential func(key, variable string)
}

// WithUnsetCredentials makes an unset ${VAR} in registries[].username or
// password a warning (warn gets the key and the variable) instead of an
// error; the credential then stays as written. It is for validate, which a pull
// request check runs where no secrets are; plan and apply, which use the
// credentials, keep the error.
func WithUnsetCredentials(warn func(key, variable string)) Option {
	return func(o *options) error {
		if warn == nil {
			return fmt.Errorf("WithUnsetCredentials: warn is nil")
		}
		o.unsetCredential = warn
		return nil
	}
}

// WithEnv sets how Load reads the environment: the REGPRUNE_* variables
// and the variables of ${VAR} in the file. The default is os.LookupEnv;
// tests pass a map's lookup instead of touching the process environment.
func WithEnv(lookup func(string) (string, bool)) Option {
	return func(o *options) error {
		if lookup == nil {
			return fmt.Errorf("WithEnv: lookup is nil")
		}
		o.lookup = lookup
		return nil
	}
}

// WithOverrides sets values that override the file and the environment,
// typically from flags the user set (pass only those, or every default
// of a flag overrides the file). The keys are those of Overrides:
// concurrency, maxDeletions (integers), minAge (a string such as "24h",
// a retention.Duration or a time.Duration) and stateDir (a string).
// Later calls add to earlier ones. Default: none.
func WithOverrides(values map[string]any) Option {
	return func(o *options) error {
		if err := checkOverrides(values); err != nil {
			return fmt.Errorf("checking overrides: %w", err)
		}
		if o.overrides == nil {
			o.overrides = map[string]any{}
		}
		maps.Copy(o.overrides, values)
		return nil
	}
}

func defaultOptions() *options {
	return &options{lookup: os.LookupEnv}
}
