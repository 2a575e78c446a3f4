package config

import (
	"errors"
	"math"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/regprune/regprune/retention"
)

// lineError is an error at a key the file sets, with the key's line.
type lineError struct {
	line int
	err  error
}

func (e *lineError) Error() string { return "line " + strconv.Itoa(e.line) + ": " + e.err.Error() }

func (e *lineError) Unwrap() error { return e.err }

// withLines puts the line of its key in front of every error of err
// (one, or several joined) whose key the file sets. A key set only by
// the environment or an override has no line and is left as it is.
// root is the file's top-level node (parseYAML), nil for an empty file.
func withLines(root *yaml.Node, err error) error {
	if root == nil {
		return err
	}
	list := flatten(err)
	out := make([]error, 0, len(list))
	for _, e := range list {
		if n := lineOf(root, keyOf(e)); n > 0 {
			e = &lineError{line: n, err: e}
		}
		out = append(out, e)
	}
	// In file order; errors without a line keep their order, after.
	sort.SliceStable(out, func(i, j int) bool { return lineNumber(out[i]) < lineNumber(out[j]) })
	if len(out) == 1 {
		return out[0]
	}
	return errors.Join(out...)
}

// lineNumber sorts an error by its line; one without comes last.
func lineNumber(err error) int {
	var le *lineError
	if errors.As(err, &le) {
		return le.line
	}
	return math.MaxInt
}

// keyOf is the key path an error is at, or "".
func keyOf(err error) string {
	var ke *keyError
	if errors.As(err, &ke) {
		if ke.at != "" {
			return ke.at
		}
		return ke.key
	}
	var fe *retention.FieldError
	if errors.As(err, &fe) {
		return fe.Key
	}
	return ""
}

// lineOf finds the line of a key path such as "policies[0].keep[1].newest"
// in a document, matching keys without case as viper does; 0 when the
// path is empty or the file does not set it. A path that goes deeper
// than the file (a default filled in) stops at the deepest key it sets.
func lineOf(n *yaml.Node, path string) int {
	if path == "" {
		return 0
	}
	line := 0
	for _, step := range steps(path) {
		for n.Kind == yaml.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		next, ok := child(n, step)
		if !ok {
			break
		}
		line = next.Line
		n = next
	}
	return line
}

// steps splits "a[0].b" into "a", "[0]", "b".
func steps(path string) []string {
	var out []string
	for _, part := range strings.Split(path, ".") {
		for part != "" {
			i := strings.IndexByte(part[1:], '[')
			if i < 0 {
				out = append(out, part)
				break
			}
			out = append(out, part[:i+1])
			part = part[i+1:]
		}
	}
	return out
}

// child returns the value at one step: a key of a mapping (its key node,
// whose line is the key's) or an index of a sequence.
func child(n *yaml.Node, step string) (*yaml.Node, bool) {
	if strings.HasPrefix(step, "[") {
		i, ok := index(step)
		if !ok || n.Kind != yaml.SequenceNode || i >= len(n.Content) {
			return nil, false
		}
		return n.Content[i], true
	}
	if n.Kind != yaml.MappingNode {
		return nil, false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if strings.EqualFold(n.Content[i].Value, step) {
			v := n.Content[i+1]
			if v.Kind == yaml.MappingNode || v.Kind == yaml.SequenceNode {
				// Descend into the value, but report the key's line.
				cp := *v
				cp.Line = n.Content[i].Line
				return &cp, true
			}
			return n.Content[i], true
		}
	}
	return nil, false
}
