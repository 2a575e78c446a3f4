package report

import (
	"slices"

	"github.com/regprune/regprune/retention"
)

// Failing returns the warnings whose kind failOn names: those that turn
// a run that would succeed into a failed one (exit 1).
func Failing(ws []retention.Warning, failOn []string) []retention.Warning {
	var out []retention.Warning
	for _, w := range ws {
		if slices.Contains(failOn, w.Kind) {
			out = append(out, w)
		}
	}
	return out
}
