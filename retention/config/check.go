package config

import (
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/apis"
)

var (
	registryType = reflect.TypeFor[retention.Registry]()
	durationType = reflect.TypeFor[retention.Duration]()
	byteSizeType = reflect.TypeFor[retention.ByteSize]()
	goDuration   = reflect.TypeFor[time.Duration]()
)

// check walks a decoded document against the type it will be decoded
// into, the way the user wrote it, and reports every unknown key and every
// value of the wrong type at its key path (policies[0].keep[1].newset).
// mapstructure's ErrorUnused finds the same unknown keys, but its messages
// name Go types and sometimes values; these name keys only, so a password
// never reaches an error.
//
// A null value is the zero value (`protect:` with nothing under it is no
// protection); what that leaves missing, Compile reports.
func check(es *errs, key string, v any, t reflect.Type) {
	if v == nil {
		return
	}
	switch {
	case t == durationType:
		checkDuration(es, key, v)
		return
	case t == byteSizeType:
		checkByteSize(es, key, v)
		return
	case t.Kind() == reflect.Pointer:
		check(es, key, v, t.Elem())
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			es.add(key, "want a mapping of keys, got "+describe(v))
			return
		}
		fields := keysOf(t)
		for _, k := range slices.Sorted(maps.Keys(m)) {
			f, ok := fields[strings.ToLower(k)]
			if !ok {
				if near := suggest(k, fields); near != "" {
					es.addAt(key, join(key, k), fmt.Sprintf("unknown key %q (did you mean %q?)", k, near))
				} else {
					es.addAt(key, join(key, k), fmt.Sprintf("unknown key %q", k))
				}
				continue
			}
			if f.name != k {
				// Viper would accept it, but the keys are documented in
				// one spelling; a wrong case is a typo like any other.
				es.addAt(key, join(key, k), fmt.Sprintf("unknown key %q (did you mean %q?)", k, f.name))
				continue
			}
			check(es, join(key, f.name), m[k], f.typ)
		}
	case reflect.Slice:
		l, ok := v.([]any)
		if !ok {
			es.add(key, "want a list, got "+describe(v)+` (write [value] for one value)`)
			return
		}
		for i, e := range l {
			check(es, fmt.Sprintf("%s[%d]", key, i), e, t.Elem())
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			es.add(key, "want a string, got "+describe(v)+` (quote it: "...")`)
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			es.add(key, "want true or false, got "+describe(v))
		}
	case reflect.Int:
		if _, ok := toInt(v); !ok {
			es.add(key, "want a whole number, got "+describe(v))
		}
	default:
		// Only reached if retention.Config grows a field of a new kind.
		es.add(key, "cannot be decoded (unsupported kind "+t.Kind().String()+")")
	}
}

// checkDuration accepts a string retention.Duration reads, a 0, or, from
// an override, a time.Duration or retention.Duration. A bare number other
// than 0 is refused: 30 could mean seconds, days or (to Go) nanoseconds.
func checkDuration(es *errs, key string, v any) {
	switch d := v.(type) {
	case string:
		var parsed retention.Duration
		if err := parsed.UnmarshalText([]byte(d)); err != nil {
			es.add(key, err.Error())
		}
		return
	case time.Duration, retention.Duration:
		if reflect.ValueOf(d).Int() < 0 {
			es.add(key, "must not be negative")
		}
		return
	}
	if n, ok := toInt(v); ok {
		if n != 0 {
			es.add(key, "a duration needs a unit, such as 24h, 30d or 2w (got a bare number)")
		}
		return
	}
	es.add(key, "want a duration such as 24h, 30d or 2w, got "+describe(v))
}

// checkByteSize accepts a size such as 10GiB or 512MB, or a whole number
// of bytes.
func checkByteSize(es *errs, key string, v any) {
	if s, ok := v.(string); ok {
		var parsed retention.ByteSize
		if err := parsed.UnmarshalText([]byte(s)); err != nil {
			es.add(key, err.Error())
		}
		return
	}
	if n, ok := toInt(v); ok {
		if n < 0 {
			es.add(key, "must not be negative")
		}
		return
	}
	es.add(key, "want a size such as 512MB or 10GiB, got "+describe(v))
}

// toInt converts any integer to int when it fits. Floats are refused,
// even 8.0: no key takes a fraction.
func toInt(v any) (int, bool) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n := rv.Int()
		return int(n), n >= math.MinInt && n <= math.MaxInt
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n := rv.Uint()
		return int(n), n <= math.MaxInt
	}
	return 0, false
}

// describe names the kind of a value, never the value: it may be a
// password in the wrong place.
func describe(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float32, float64:
		return "a number with a fraction"
	case map[string]any, map[any]any:
		return "a mapping"
	case []any:
		return "a list"
	case time.Time:
		return "a timestamp"
	}
	if _, ok := toInt(v); ok {
		return "a number"
	}
	if rv := reflect.ValueOf(v); rv.Kind() >= reflect.Int && rv.Kind() <= reflect.Uintptr {
		return "a number too large"
	}
	return fmt.Sprintf("a value of type %T", v)
}

type field struct {
	name string // as in the mapstructure tag, for messages
	typ  reflect.Type
}

// fieldsOf maps the lowercased mapstructure key of each field of t to the
// field, as viper and mapstructure match keys without regard to case.
func fieldsOf(t reflect.Type) map[string]field {
	out := make(map[string]field, t.NumField())
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("mapstructure"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		out[strings.ToLower(name)] = field{name: name, typ: f.Type}
	}
	return out
}

// keysOf is fieldsOf, and for a registries entry the settings its
// providers take (retention/apis), whatever its api: a key of another
// api is Compile's to refuse, naming the APIs that take it.
func keysOf(t reflect.Type) map[string]field {
	fields := fieldsOf(t)
	if t != registryType {
		return fields
	}
	for _, s := range apis.Settings() {
		if _, core := fields[strings.ToLower(s.Key)]; !core {
			fields[strings.ToLower(s.Key)] = field{name: s.Key, typ: s.Type}
		}
	}
	return fields
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}
