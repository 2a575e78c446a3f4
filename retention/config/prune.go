package config

import (
	"errors"
	"strings"
)

// prune removes from a decoded document every value that check refused,
// so that the rest can still be decoded and compiled and its errors
// reported with check's in one message. A refused key of a mapping is
// deleted; a refused item of a list becomes null (its zero value), so
// that the items after it keep their index and their errors their line.
// It returns the key paths it removed.
func prune(doc map[string]any, found errs) []string {
	var paths []string
	for _, e := range found {
		var ke *keyError
		if !errors.As(e, &ke) {
			continue
		}
		path := ke.key
		if ke.at != "" {
			path = ke.at
		}
		if path == "" || !removeAt(doc, steps(path)) {
			continue
		}
		paths = append(paths, path)
	}
	return paths
}

// removeAt removes the value at a path of steps ("a", "[0]", "b");
// false when the path is not in the document.
func removeAt(doc map[string]any, path []string) bool {
	var cur any = doc
	for i, step := range path {
		last := i == len(path)-1
		switch c := cur.(type) {
		case map[string]any:
			next, ok := c[step]
			if !ok {
				return false
			}
			if last {
				delete(c, step)
				return true
			}
			cur = next
		case []any:
			n, ok := index(step)
			if !ok || n >= len(c) {
				return false
			}
			if last {
				c[n] = nil
				return true
			}
			cur = c[n]
		default:
			return false
		}
	}
	return false
}

// index reads a step such as "[3]".
func index(step string) (int, bool) {
	if len(step) < 3 || step[0] != '[' || step[len(step)-1] != ']' {
		return 0, false
	}
	n := 0
	for _, r := range step[1 : len(step)-1] {
		if r < '0' || r > '9' {
			return 0, false
		}
		n = n*10 + int(r-'0')
	}
	return n, true
}

// consequence reports whether an error found after pruning is only the
// echo of a value that was removed: it is at a removed path, under one,
// or at the parent a removed value left empty ("keep needs a rule" once
// the misspelt rule is gone). Such errors are dropped; the removed
// value's own error says what is wrong.
func consequence(err error, removed []string) bool {
	k := keyOf(err)
	if k == "" {
		return false
	}
	for _, p := range removed {
		if k == p || strings.HasPrefix(k, p+".") || strings.HasPrefix(k, p+"[") || k == parent(p) {
			return true
		}
	}
	return false
}

// parent is the key path one step up: "a.b[2]" for "a.b[2].c", "a.b"
// for "a.b[2]", "" for "a".
func parent(path string) string {
	s := steps(path)
	if len(s) <= 1 {
		return ""
	}
	out := strings.Join(s[:len(s)-1], ".")
	return strings.ReplaceAll(out, ".[", "[")
}

// flatten lists the errors of one error or of several joined.
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}
