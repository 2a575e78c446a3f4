// Package config loads regprune's configuration from a YAML file, the
// environment and overrides (flags), and validates it.
//
// Precedence, lowest first: the defaults (concurrency 8, maxDeletions 0,
// minAge 0, cloudLogins true), the file, the REGPRUNE_* environment
// variables, overrides (flags). Overrides lists every key that a variable
// or a flag sets, with both: it is the one table of them.
// Decoding is strict: an unknown key or a value of the wrong type is an
// error that names its key path, and so is anything Compile refuses.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"reflect"
	"strconv"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"

	"github.com/regprune/regprune/retention"
)

var configType = reflect.TypeFor[retention.Config]()

// File is a configuration file as Read found it: decoded, with the
// environment and overrides applied, validated and compiled.
type File struct {
	// Config is the configuration, ${VAR} expanded.
	Config *retention.Config
	// Rules is Config compiled: the caller need not compile it again.
	Rules *retention.Rules

	literal []string
}

// LiteralPasswords returns the hosts of the registries whose password
// the file writes literally, as the package's LiteralPasswords does for
// the file Read read.
func (f *File) LiteralPasswords() []string { return f.literal }

// Read reads the configuration file at path (YAML whatever its
// extension) once, applies the environment and overrides, validates the
// result and compiles it. Every error is an *Error.
func Read(path string, opts ...Option) (*File, error) {
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
	return load(path, data, o)
}

// Load is Read for a caller that needs only the Config. A valid
// configuration compiles, so the caller's own cfg.Compile() cannot fail.
func Load(path string, opts ...Option) (*retention.Config, error) {
	f, err := Read(path, opts...)
	if err != nil {
		return nil, err
	}
	return f.Config, nil
}

// notFoundError says how to point at another file. It unwraps to
// fs.ErrNotExist for errors.Is.
type notFoundError struct{}

func (notFoundError) Error() string {
	return "configuration file not found (point at another with -c/--config or " + EnvPath + "; config.example.yaml shows one)"
}

func (notFoundError) Unwrap() error { return fs.ErrNotExist }

// parse is load's Config; the fuzz test calls it.
func parse(file string, data []byte, o *options) (*retention.Config, error) {
	f, err := load(file, data, o)
	if err != nil {
		return nil, err
	}
	return f.Config, nil
}

// load does all of Read but reading the file. The file is parsed once
// (parseYAML): its node gives the document viper decodes, the lines of
// errors and the literal passwords.
//
// Every problem is reported at once, in file order: a value of the wrong
// type or an unknown key is removed (prune), and the rest is still
// decoded and validated, so a type error and a semantic error elsewhere
// come in one message.
func load(file string, data []byte, o *options) (*File, error) {
	doc, err := parseYAML(data)
	if err != nil {
		return nil, &Error{File: file, Err: err}
	}
	// check walks the document as written: viper's AllSettings drops
	// empty mappings, so an unknown key holding {} would pass.
	var raw map[string]any
	if doc != nil {
		if err := doc.Decode(&raw); err != nil {
			return nil, &Error{File: file, Err: yamlError{err}}
		}
	}
	var found errs
	check(&found, "", raw, configType)
	removed := prune(raw, found)

	// viper is given the document already parsed: ReadConfig would parse
	// the text a second time, into the same map, without its lines.
	v := newViper()
	if err := v.MergeConfigMap(raw); err != nil {
		return nil, &Error{File: file, Err: fmt.Errorf("decoding the configuration: %w", err)}
	}
	// Viper's own environment layer reads only the process environment;
	// the table's variables are read through o.lookup instead, and set
	// under the overrides, which gives the same precedence.
	env, err := fromEnv(o.lookup)
	if err != nil {
		return nil, &Error{Err: err}
	}
	maps.Copy(env, o.overrides)
	for k, val := range env {
		v.Set(k, val)
	}

	var cfg retention.Config
	err = v.UnmarshalExact(&cfg, func(dc *mapstructure.DecoderConfig) {
		// No weak typing: "8" is not a number and 1 is not true. check
		// has already refused every such value with a better message.
		dc.WeaklyTypedInput = false
		dc.DecodeHook = mapstructure.TextUnmarshallerHookFunc()
	})
	root := rootOf(doc)
	if err != nil {
		if len(found) > 0 {
			return nil, &Error{File: file, Err: withLines(root, found.join())}
		}
		return nil, &Error{File: file, Err: fmt.Errorf("decoding the configuration: %w", err)}
	}
	rules, verr := validate(&cfg, o)
	all := []error(found)
	for _, e := range flatten(verr) {
		if !consequence(e, removed) {
			all = append(all, e)
		}
	}
	if len(all) > 0 {
		return nil, &Error{File: file, Err: withLines(root, errors.Join(all...))}
	}
	return &File{Config: &cfg, Rules: rules, literal: literalPasswords(doc)}, nil
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
// compiled rules, or the errors of the first check that fails: a later
// check may rely on an earlier one (Compile on expanded variables).
func validate(cfg *retention.Config, o *options) (*retention.Rules, error) {
	if cfg.Concurrency == 0 {
		var es errs
		es.add("concurrency", "must be at least 1 (leave it out for the default, "+strconv.Itoa(retention.DefaultConcurrency)+")")
		return nil, es.join()
	}
	if err := expandConfig(cfg, o.lookup, o.unsetCredential); err != nil {
		return nil, err
	}
	rules, err := cfg.Compile()
	if err != nil {
		return nil, err
	}
	if err := sameLayouts(cfg); err != nil {
		return nil, err
	}
	return rules, nil
}
