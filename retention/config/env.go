package config

import (
	"strconv"
	"strings"

	"github.com/regprune/regprune/retention"
)

// scalarKeys are the keys the environment and overrides may set, each with
// its environment variable. They are top-level scalars: lists of policies
// do not fit in a variable or a flag.
var scalarKeys = []struct{ key, env string }{
	{"concurrency", "REGPRUNE_CONCURRENCY"},
	{"maxDeletions", "REGPRUNE_MAXDELETIONS"},
	{"minAge", "REGPRUNE_MINAGE"},
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
