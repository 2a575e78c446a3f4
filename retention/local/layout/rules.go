package layout

import "github.com/regprune/regprune/retention"

// RulesFor returns the rules of the configured layout a cache plan names
// (its Cache, "layout <path>"), and false when r configures no such
// layout.
func RulesFor(r *retention.Rules, cache string) (retention.LayoutRules, bool) {
	if r == nil || r.Local == nil {
		return retention.LayoutRules{}, false
	}
	for _, lr := range r.Local.Layouts {
		if CacheName(lr.Path) == cache {
			return lr, true
		}
	}
	return retention.LayoutRules{}, false
}

// CacheName names the cache of the layout at path, as its plan does.
func CacheName(path string) string { return "layout " + path }
