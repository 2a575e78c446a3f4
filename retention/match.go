package retention

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// Pattern matches names: a glob (doublestar syntax: * within a path
// segment, ** across segments, ?, [...] and {a,b}) or, between slashes,
// a Go regular expression (/^release-.+$/).
type Pattern struct {
	text string
	re   *regexp.Regexp
	// canon is, for a repository pattern with a registry host, the glob
	// with the host in its canonical spelling (CanonicalHost).
	canon string
}

// compilePattern parses one pattern.
func compilePattern(p string) (Pattern, error) {
	if p == "" {
		return Pattern{}, fmt.Errorf("empty pattern")
	}
	if len(p) >= 2 && strings.HasPrefix(p, "/") && strings.HasSuffix(p, "/") {
		re, err := regexp.Compile(p[1 : len(p)-1])
		if err != nil {
			return Pattern{}, fmt.Errorf("invalid regular expression %s: %v", p, err)
		}
		return Pattern{text: p, re: re}, nil
	}
	if !doublestar.ValidatePattern(p) {
		return Pattern{}, fmt.Errorf("invalid glob %q", p)
	}
	return Pattern{text: p}, nil
}

// Match reports whether name matches.
func (p Pattern) Match(name string) bool {
	if p.re != nil {
		return p.re.MatchString(name)
	}
	ok, _ := doublestar.Match(p.text, name)
	return ok
}

// matchRepository reports whether a full repository name matches, as
// written or with both hosts in their canonical spelling.
func (p Pattern) matchRepository(name string) bool {
	if p.Match(name) {
		return true
	}
	if p.canon == "" {
		return false
	}
	ok, _ := doublestar.Match(p.canon, CanonicalName(name))
	return ok
}

// IsLiteral reports whether the pattern can only match itself.
func (p Pattern) IsLiteral() bool {
	return p.re == nil && !strings.ContainsAny(p.text, `*?[]{}\`)
}

// String returns the pattern as written.
func (p Pattern) String() string { return p.text }

// Patterns is a list of patterns that match when any one matches.
type Patterns []Pattern

// matchRepository returns the first pattern that matches a full
// repository name (see Pattern.matchRepository).
func (ps Patterns) matchRepository(name string) (Pattern, bool) {
	for _, p := range ps {
		if p.matchRepository(name) {
			return p, true
		}
	}
	return Pattern{}, false
}

// patternError is a pattern of a list that does not compile.
type patternError struct {
	Index int
	Err   error
}

func (e *patternError) Error() string { return fmt.Sprintf("[%d]: %v", e.Index, e.Err) }
func (e *patternError) Unwrap() error { return e.Err }

// compilePatterns parses every pattern. Each that does not compile is a
// *patternError naming its index; several are joined (errors.Join), so
// that every bad pattern of a list is reported at once.
func compilePatterns(ps []string) (Patterns, error) {
	out := make(Patterns, 0, len(ps))
	var errs []error
	for i, p := range ps {
		c, err := compilePattern(p)
		if err != nil {
			errs = append(errs, &patternError{Index: i, Err: err})
			continue
		}
		out = append(out, c)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// Match returns the first pattern that matches name.
func (ps Patterns) Match(name string) (Pattern, bool) {
	for _, p := range ps {
		if p.Match(name) {
			return p, true
		}
	}
	return Pattern{}, false
}
