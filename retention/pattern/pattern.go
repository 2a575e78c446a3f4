// Package pattern is regprune's pattern language: a glob (doublestar
// syntax) or, between slashes, a Go regular expression. The core
// compiles the configuration's patterns with it and matches tags and
// repositories by them; it is pure (no I/O).
package pattern

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
	// with the host in its canonical spelling (see WithCanonical).
	canon string
}

// Compile parses one pattern.
func Compile(p string) (Pattern, error) {
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

// WithCanonical returns p with canon, the same glob with its registry
// host in its canonical spelling, which MatchRepository matches too. An
// invalid glob leaves p as it is.
func (p Pattern) WithCanonical(canon string) Pattern {
	if doublestar.ValidatePattern(canon) {
		p.canon = canon
	}
	return p
}

// MatchRepository reports whether a full repository name matches, as
// written or, where p has a canonical spelling (WithCanonical), as
// canonical spells it.
func (p Pattern) MatchRepository(name string, canonical func(string) string) bool {
	if p.Match(name) {
		return true
	}
	if p.canon == "" {
		return false
	}
	ok, _ := doublestar.Match(p.canon, canonical(name))
	return ok
}

// IsLiteral reports whether the pattern can only match itself.
func (p Pattern) IsLiteral() bool {
	return p.re == nil && !strings.ContainsAny(p.text, `*?[]{}\`)
}

// String returns the pattern as written.
func (p Pattern) String() string { return p.text }

// List is a list of patterns that match when any one matches.
type List []Pattern

// MatchRepository returns the first pattern that matches a full
// repository name (see Pattern.MatchRepository).
func (ps List) MatchRepository(name string, canonical func(string) string) (Pattern, bool) {
	for _, p := range ps {
		if p.MatchRepository(name, canonical) {
			return p, true
		}
	}
	return Pattern{}, false
}

// IndexError is a pattern of a list that does not compile.
type IndexError struct {
	Index int
	Err   error
}

func (e *IndexError) Error() string { return fmt.Sprintf("[%d]: %v", e.Index, e.Err) }
func (e *IndexError) Unwrap() error { return e.Err }

// CompileList parses every pattern. Each that does not compile is an
// *IndexError naming its index; several are joined (errors.Join), so
// that every bad pattern of a list is reported at once.
func CompileList(ps []string) (List, error) {
	out := make(List, 0, len(ps))
	var errs []error
	for i, p := range ps {
		c, err := Compile(p)
		if err != nil {
			errs = append(errs, &IndexError{Index: i, Err: err})
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
func (ps List) Match(name string) (Pattern, bool) {
	for _, p := range ps {
		if p.Match(name) {
			return p, true
		}
	}
	return Pattern{}, false
}
