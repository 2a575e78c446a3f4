// Package config loads regprune's configuration from a YAML file, the
// environment and overrides (flags), and validates it.
//
// Precedence, lowest first: the defaults (concurrency 8, maxDeletions 0,
// minAge 0, cloudLogins true), the file, the REGPRUNE_* environment variables, overrides.
// Decoding is strict: an unknown key or a value of the wrong type is an
// error that names its key path, and so is anything Compile refuses.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"strconv"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"

	"github.com/regprune/regprune/retention"
)

var configType = reflect.TypeFor[retention.Config]()

// Load reads the configuration file at path (YAML whatever its extension),
// applies the environment and overrides, and validates the result with
// Compile. Every error is an *Error; a valid configuration compiles, so
// the caller's own cfg.Compile() cannot fail.
func Load(path string, opts ...Option) (*retention.Config, error) {
	o := defaultOptions()
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, &Error{Err: fmt.Errorf("applying options: %w", err)}
		}
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &Error{File: path, Err: notFoundError{}}
	}
	if err != nil {
		return nil, &Error{File: path, Err: fmt.Errorf("reading the configuration: %w", err)}
	}
	return parse(path, data, o)
}

// notFoundError says how to point at another file. It unwraps to
// fs.ErrNotExist for errors.Is.
type notFoundError struct{}

func (notFoundError) Error() string {
	return "configuration file not found (point at another with -c/--config or " + EnvPath + "; config.example.yaml shows one)"
}

func (notFoundError) Unwrap() error { return fs.ErrNotExist }

// parse does all of Load but reading the file; the fuzz test calls it.
//
// Every problem is reported at once, in file order: a value of the wrong
// type or an unknown key is removed (prune), and the rest is still
// decoded and validated, so a type error and a semantic error elsewhere
// come in one message.
func parse(file string, data []byte, o *options) (*retention.Config, error) {
	if err := checkYAML(data); err != nil {
		return nil, &Error{File: file, Err: err}
	}
	// The walker reads the document as written: viper's AllSettings
	// drops empty mappings, so an unknown key holding {} would pass.
	var raw map[string]any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, &Error{File: file, Err: yamlError{err}}
	}
	var found errs
	check(&found, "", raw, configType)
	removed := prune(raw, found)

	v := newViper()
	if len(found) == 0 {
		if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
			return nil, &Error{File: file, Err: yamlError{err}}
		}
	} else if err := v.MergeConfigMap(raw); err != nil {
		return nil, &Error{File: file, Err: withLines(data, found.join())}
	}
	// Viper's own environment layer reads only the process environment;
	// the variables are read through o.lookup instead and merged over the
	// file, which gives the same precedence.
	env, err := fromEnv(o.lookup)
	if err != nil {
		return nil, &Error{Err: err}
	}
	if err := v.MergeConfigMap(env); err != nil {
		return nil, &Error{Err: fmt.Errorf("merging the environment: %w", err)}
	}
	for k, val := range o.overrides {
		v.Set(k, val)
	}

	var cfg retention.Config
	err = v.UnmarshalExact(&cfg, func(dc *mapstructure.DecoderConfig) {
		// No weak typing: "8" is not a number and 1 is not true. check
		// has already refused every such value with a better message.
		dc.WeaklyTypedInput = false
		dc.DecodeHook = mapstructure.TextUnmarshallerHookFunc()
	})
	if err != nil {
		if len(found) > 0 {
			return nil, &Error{File: file, Err: withLines(data, found.join())}
		}
		return nil, &Error{File: file, Err: fmt.Errorf("decoding the configuration: %w", err)}
	}
	all := []error(found)
	for _, e := range flatten(validate(&cfg, o)) {
		if !consequence(e, removed) {
			all = append(all, e)
		}
	}
	if len(all) > 0 {
		return nil, &Error{File: file, Err: withLines(data, errors.Join(all...))}
	}
	return &cfg, nil
}

// newViper is a viper with the one place defaults are set. minAge and
// maxDeletions are 0 (off); they are set anyway so that every key has
// its default here.
func newViper() *viper.Viper {
	v := viper.New()
	v.SetConfigType("yaml")
	v.SetDefault("concurrency", retention.DefaultConcurrency)
	v.SetDefault("maxDeletions", 0)
	v.SetDefault("minAge", retention.Duration(0))
	v.SetDefault("cloudLogins", true)
	return v
}

// validate runs the checks after decoding, in order, and returns the
// errors of the first that fails: a later check may rely on an earlier
// one (Compile on expanded variables).
func validate(cfg *retention.Config, o *options) error {
	if cfg.Concurrency == 0 {
		var es errs
		es.add("concurrency", "must be at least 1 (leave it out for the default, "+strconv.Itoa(retention.DefaultConcurrency)+")")
		return es.join()
	}
	if err := expandConfig(cfg, o.lookup, o.unsetCredential); err != nil {
		return err
	}
	if _, err := cfg.Compile(); err != nil {
		return err
	}
	return sameLayouts(cfg)
}
