package retention

import (
	"fmt"
	"path/filepath"
)

// compileLocal validates the local section. Its caches share the
// top-level minAge and protect.tags.
func compileLocal(l *Local, top *Rules) (*LocalRules, []error) {
	var errs []error
	add := func(k, format string, args ...any) {
		errs = append(errs, &FieldError{Key: k, Msg: fmt.Sprintf(format, args...)})
	}
	out := &LocalRules{}
	if d := l.Docker; d != nil {
		ps, perrs := compilePolicies("local.docker.policies", d.Policies, scopeDocker)
		errs = append(errs, perrs...)
		switch d.LocalOnly {
		case "", "protect", "allow":
		default:
			add("local.docker.localOnly", "must be protect or allow (got %q)", d.LocalOnly)
		}
		if d.Dangling < 0 {
			add("local.docker.dangling", "must not be negative")
		}
		if bc := d.BuildCache; bc != nil {
			if bc.OlderThan < 0 {
				add("local.docker.buildCache.olderThan", "must not be negative")
			}
			if bc.KeepStorage < 0 {
				add("local.docker.buildCache.keepStorage", "must not be negative")
			}
			if bc.OlderThan == 0 && bc.KeepStorage == 0 {
				// The engine would prune every unused record: that is not
				// what an empty section reads as.
				add("local.docker.buildCache", "set olderThan, keepStorage or both (an empty buildCache would prune every unused build cache record)")
			}
		}
		dc := *d
		if dc.LocalOnly == "" {
			dc.LocalOnly = "protect"
		}
		out.Docker = &DockerRules{DockerCache: dc, Rules: &Rules{MinAge: top.MinAge, Protect: top.Protect, Policies: ps}}
	}
	paths := map[string]int{}
	for i, lc := range l.Layouts {
		key := fmt.Sprintf("local.layouts[%d]", i)
		if lc.Path == "" {
			add(key+".path", "is required")
		} else if first, dup := paths[filepath.Clean(lc.Path)]; dup {
			// /x/lay and /x/lay/ are one layout: pruned by two entries
			// with two policies, it would end up with neither's keeps.
			add(key+".path", "%q is the layout of local.layouts[%d].path %q: one layout, configured twice", lc.Path, first, l.Layouts[first].Path)
		} else {
			paths[filepath.Clean(lc.Path)] = i
		}
		if lc.MaxSize < 0 {
			add(key+".maxSize", "must not be negative")
		}
		ps, perrs := compilePolicies(key+".policies", lc.Policies, scopeLayout)
		errs = append(errs, perrs...)
		out.Layouts = append(out.Layouts, LayoutRules{LayoutCache: lc, Rules: &Rules{MinAge: top.MinAge, Protect: top.Protect, Policies: ps}})
	}
	return out, errs
}
