// Package config loads regprune's configuration from a YAML file, the
// environment and overrides (flags), and validates it.
//
// Precedence, lowest first: the defaults (concurrency 8, maxDeletions 0,
// minAge 0), the file, the REGPRUNE_* environment variables, overrides.
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
	"strings"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"

	"github.com/regprune/regprune/retention"
)

var configType = reflect.TypeFor[retention.Config]()

// ErrNotFound is wrapped by the error for a missing configuration file;
// it is fs.ErrNotExist, so either works with errors.Is.
var ErrNotFound = fs.ErrNotExist

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

// notFoundError says how to point at another file.
type notFoundError struct{}

func (notFoundError) Error() string {
	return "configuration file not found (point at another with -c/--config or " + EnvPath + "; config.example.yaml shows one)"
}

func (notFoundError) Unwrap() error { return fs.ErrNotExist }

// parse does all of Load but reading the file; the fuzz test calls it.
func parse(file string, data []byte, o *options) (*retention.Config, error) {
	v := viper.New()
	v.SetConfigType("yaml")
	// The one place defaults are set. minAge and maxDeletions are 0
	// (off); they are set anyway so that every key has its default here.
	v.SetDefault("concurrency", retention.DefaultConcurrency)
	v.SetDefault("maxDeletions", 0)
	v.SetDefault("minAge", retention.Duration(0))

	if err := checkYAML(data); err != nil {
		return nil, &Error{File: file, Err: err}
	}
	if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
		return nil, &Error{File: file, Err: yamlError{err}}
	}
	var es errs
	check(&es, "", v.AllSettings(), configType)
	if len(es) > 0 {
		return nil, &Error{File: file, Err: es.join()}
	}

	// Viper's own environment layer reads only the process environment;
	// the variables are read through o.lookup instead and merged over the
	// file, which gives the same precedence.
	env, err := readEnv(o.lookup)
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
		return nil, &Error{File: file, Err: fmt.Errorf("decoding the configuration: %w", err)}
	}
	if cfg.Concurrency == 0 {
		es.add("concurrency", "must be at least 1 (leave it out for the default, "+strconv.Itoa(retention.DefaultConcurrency)+")")
		return nil, &Error{File: file, Err: es.join()}
	}
	if err := expandConfig(&cfg, o.lookup); err != nil {
		return nil, &Error{File: file, Err: err}
	}
	if _, err := cfg.Compile(); err != nil {
		return nil, &Error{File: file, Err: err}
	}
	return &cfg, nil
}

// readEnv reads the REGPRUNE_* variables that are set and not empty (as
// viper does, an empty variable counts as unset). Errors name the
// variable, not its value.
func readEnv(lookup func(string) (string, bool)) (map[string]any, error) {
	out := map[string]any{}
	var es errs
	for _, s := range scalarKeys {
		val, ok := lookup(s.env)
		val = strings.TrimSpace(val)
		if !ok || val == "" {
			continue
		}
		if s.key == "minAge" {
			d, err := retention.ParseDuration(val)
			if err != nil {
				es.add(s.env, "want a duration such as 24h, 30d or 2w")
				continue
			}
			out[s.key] = d
			continue
		}
		n, err := strconv.Atoi(val)
		if s.key == "concurrency" && err == nil && n < 1 {
			es.add(s.env, "want a whole number, 1 or more")
			continue
		}
		if err != nil || n < 0 {
			es.add(s.env, "want a whole number, 0 or more")
			continue
		}
		out[s.key] = n
	}
	return out, es.join()
}

// checkYAML parses data on its own before viper does, to tell a syntax
// error (with its line) from a document that is not a mapping. viper's
// decoder reports the latter quoting the document, which could be a secret.
func checkYAML(data []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return yamlError{err}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil // empty: every key has its default
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode && root.Tag != "!!null" {
		return fmt.Errorf("line %d: the document must be a mapping of keys such as policies:", root.Line)
	}
	var es []error
	checkKeys(root, &es)
	return errors.Join(es...)
}

// checkKeys refuses what viper would silently reinterpret: a key with a
// dot (viper reads "protect.tags" as protect: {tags}) and two keys of one
// mapping that differ only in case (viper lowercases keys, and which one
// wins is random). Aliases are not followed: what they point at is checked
// where it is defined.
func checkKeys(n *yaml.Node, es *[]error) {
	if n.Kind == yaml.MappingNode {
		seen := map[string]string{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				continue
			}
			if strings.Contains(k.Value, ".") {
				*es = append(*es, fmt.Errorf("line %d: key %q: keys cannot hold a dot (nest them instead)", k.Line, k.Value))
			}
			lower := strings.ToLower(k.Value)
			if prev, ok := seen[lower]; ok && prev != k.Value {
				*es = append(*es, fmt.Errorf("line %d: key %q repeats %q (keys ignore case)", k.Line, k.Value, prev))
			}
			seen[lower] = k.Value
		}
	}
	if n.Kind == yaml.AliasNode {
		return
	}
	for _, c := range n.Content {
		checkKeys(c, es)
	}
}

// yamlError drops the parser's "yaml: " and viper's "While parsing
// config: " so the message reads "regprune.yaml: invalid YAML: line 3: ...".
// Past checkYAML, the parser's messages quote keys, never values.
type yamlError struct{ err error }

func (e yamlError) Error() string {
	var te *yaml.TypeError
	if errors.As(e.err, &te) {
		return "invalid YAML: " + strings.Join(te.Errors, "; ")
	}
	msg := e.err.Error()
	var pe viper.ConfigParseError
	if errors.As(e.err, &pe) {
		msg = pe.Unwrap().Error()
	}
	return "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")
}

func (e yamlError) Unwrap() error { return e.err }
