package config

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/regprune/regprune/retention"
)

// An Override is a key that a flag or an environment variable sets over
// the file. Overrides lists every one: it is the one place where a key
// gets a flag or a variable, and the README's table is kept equal to it.
type Override struct {
	// Key is the configuration key, as the file spells it.
	Key string
	// Flag is the flag that sets it, without its dashes; "" when none.
	// The flag itself is defined by the command: WithOverrides takes the
	// values of those the user set.
	Flag string
	// Env is the environment variable that sets it; "" when none.
	Env string
	// Doc says what the key sets, in a few words.
	Doc string

	kind overrideKind
}

type overrideKind int

const (
	wholeFrom0 overrideKind = iota // an int, 0 or more
	wholeFrom1                     // an int, 1 or more
	duration                       // a retention.Duration
	text                           // a string, taken as written
)

// overrides is the table. Only top-level scalars fit: lists of policies
// do not fit in a variable or a flag. Precedence, lowest first: the
// default, the file, the variable, the flag.
var overrides = []Override{
	{Key: "concurrency", Flag: "concurrency", Env: "REGPRUNE_CONCURRENCY", Doc: "parallel registry requests", kind: wholeFrom1},
	{Key: "maxDeletions", Env: "REGPRUNE_MAXDELETIONS", Doc: "apply deletes nothing when more tagged manifests would go (0: no limit)", kind: wholeFrom0},
	{Key: "minAge", Env: "REGPRUNE_MINAGE", Doc: "nothing created less than this long ago is deleted", kind: duration},
	{Key: "stateDir", Flag: "state-dir", Env: "REGPRUNE_STATE_DIR", Doc: "the state directory: the journal, the cache and the runs restore reads", kind: text},
}

// Overrides returns the keys a flag or an environment variable sets,
// each with its flag and variable, in the order the README lists them.
func Overrides() []Override { return slices.Clone(overrides) }

func overrideOf(key string) (Override, bool) {
	i := slices.IndexFunc(overrides, func(o Override) bool { return o.Key == key })
	if i < 0 {
		return Override{}, false
	}
	return overrides[i], true
}

// fromEnv reads the variables of the table that are set and not empty
// (as viper does, an empty variable counts as unset). Numbers and
// durations are trimmed of spaces; a string is taken as written. Errors
// name the variable, not its value.
func fromEnv(lookup func(string) (string, bool)) (map[string]any, error) {
	out := map[string]any{}
	var es errs
	for _, o := range overrides {
		if o.Env == "" {
			continue
		}
		val, ok := lookup(o.Env)
		if o.kind != text {
			val = strings.TrimSpace(val)
		}
		if !ok || val == "" {
			continue
		}
		switch o.kind {
		case text:
			out[o.Key] = val
		case duration:
			var d retention.Duration
			if err := d.UnmarshalText([]byte(val)); err != nil {
				es.add(o.Env, "want a duration such as 24h, 30d or 2w")
				continue
			}
			out[o.Key] = d
		case wholeFrom0, wholeFrom1:
			n, err := strconv.Atoi(val)
			if o.kind == wholeFrom1 && err == nil && n < 1 {
				es.add(o.Env, "want a whole number, 1 or more")
				continue
			}
			if err != nil || n < 0 {
				es.add(o.Env, "want a whole number, 0 or more")
				continue
			}
			out[o.Key] = n
		}
	}
	return out, es.join()
}

// checkOverrides checks values given for keys of the table (from flags),
// each at its key.
func checkOverrides(values map[string]any) error {
	var es errs
	for _, k := range slices.Sorted(maps.Keys(values)) {
		v := values[k]
		o, ok := overrideOf(k)
		if !ok {
			es.add(k, "cannot be overridden (want "+keyList()+")")
			continue
		}
		least := 0
		if o.kind == wholeFrom1 {
			least = 1
		}
		if n, ok := toInt(v); ok && n < least {
			es.add(k, fmt.Sprintf("must be at least %d (got %d)", least, n))
			continue
		}
		check(&es, "", map[string]any{k: v}, configType)
	}
	return es.join()
}

// keyList is "a, b or c" of the table's keys.
func keyList() string {
	keys := make([]string, len(overrides))
	for i, o := range overrides {
		keys[i] = o.Key
	}
	return strings.Join(keys[:len(keys)-1], ", ") + " or " + keys[len(keys)-1]
}
