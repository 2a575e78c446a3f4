package planner

import (
	"context"
	"errors"
	"slices"

	"github.com/regprune/regprune/retention"
)

// Cataloger lists the repositories of a registry host ("host/path"
// names).
type Cataloger interface {
	Catalog(ctx context.Context, host string) ([]string, error)
}

// A Scoper lists repositories in narrower scopes than a host (GitHub:
// per owner). Scope names the scope a pattern is expanded in, which the
// Cataloger is then asked for; without a Scoper the scope is the host.
type Scoper interface {
	Scope(pattern string) string
}

// Expand returns the repositories the policies govern, sorted and
// without duplicates: literal names as written, globs matched against
// the catalog of their host (listed once per host, or per Scope), minus each policy's
// excludes. When a catalog cannot be listed (it is asked once per
// host), the repositories of the other hosts and the literal names are
// still returned, with an error that joins one *ExpandError per
// pattern on a failed host, so that no policy's repositories drop out of
// the plan unseen.
func Expand(ctx context.Context, c Cataloger, rules *retention.Rules) ([]string, error) {
	catalogs := map[string][]string{}
	failed := map[string]error{}  // by host: the catalog is asked once
	reported := map[string]bool{} // by pattern
	var errs []error
	var out []string
	for _, p := range rules.Policies {
		for _, pat := range p.Repositories {
			if pat.IsLiteral() {
				if p.Governs(pat.String()) {
					out = append(out, pat.String())
				}
				continue
			}
			host := retention.Host(pat.String())
			if sc, ok := c.(Scoper); ok {
				host = sc.Scope(pat.String())
			}
			repos, ok := catalogs[host]
			if !ok && failed[host] == nil {
				var err error
				if repos, err = c.Catalog(ctx, host); err != nil {
					failed[host] = err
				} else {
					catalogs[host] = repos
				}
			}
			if err := failed[host]; err != nil {
				if !reported[pat.String()] {
					reported[pat.String()] = true
					errs = append(errs, &ExpandError{Pattern: pat.String(), Err: err})
				}
				continue
			}
			for _, r := range repos {
				if pat.Match(r) && p.Governs(r) {
					out = append(out, r)
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out), errors.Join(errs...)
}

// ExpandError says that the repositories a glob names could not be
// listed (the registry's catalog failed). The plan reports it under the
// pattern, as a failed repository.
type ExpandError struct {
	Pattern string
	Err     error
}

func (e *ExpandError) Error() string { return "expanding " + e.Pattern + ": " + e.Err.Error() }
func (e *ExpandError) Unwrap() error { return e.Err }
