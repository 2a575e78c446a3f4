package config

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// parseYAML parses data, the one time the file is parsed: the node it
// returns keeps every key's line, and everything else (the document
// viper is given, the lines of errors, the literal passwords) is read
// from it. It tells a syntax error (with its line) from a document that
// is not a mapping, which viper's decoder would report quoting the
// document, which could be a secret. The document node is nil for an
// empty file, where every key has its default.
func parseYAML(data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError{atLine(data, err)}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode && root.Tag != "!!null" {
		return nil, fmt.Errorf("line %d: the document must be a mapping of keys such as policies:", root.Line)
	}
	var es []error
	checkKeys(root, &es)
	if err := errors.Join(es...); err != nil {
		return nil, err
	}
	return &doc, nil
}

// rootOf is the top-level mapping of a document parseYAML returned, or
// nil.
func rootOf(doc *yaml.Node) *yaml.Node {
	if doc == nil {
		return nil
	}
	return doc.Content[0]
}

// checkKeys refuses what viper would silently reinterpret: a key with a
// dot (viper reads "protect.tags" as protect: {tags}) and two keys of one
// mapping that differ only in case (viper lowercases keys, and which one
// wins is random). Aliases are not followed: what they point at is checked
// where it is defined.
func checkKeys(n *yaml.Node, es *[]error) {
	if n.Kind == yaml.MappingNode {
		seen := map[string]string{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				continue
			}
			if strings.Contains(k.Value, ".") {
				*es = append(*es, fmt.Errorf("line %d: key %q: keys cannot hold a dot (nest them instead)", k.Line, k.Value))
			}
			lower := strings.ToLower(k.Value)
			if prev, ok := seen[lower]; ok && prev != k.Value {
				*es = append(*es, fmt.Errorf("line %d: key %q repeats %q (keys ignore case)", k.Line, k.Value, prev))
			}
			seen[lower] = k.Value
		}
	}
	if n.Kind == yaml.AliasNode {
		return
	}
	for _, c := range n.Content {
		checkKeys(c, es)
	}
}

// syntaxLine matches a syntax error of the parser: its line and problem.
var syntaxLine = regexp.MustCompile(`^yaml: line ([0-9]+): (.*)$`)

// atLine puts the line where the parser met a syntax error in err's
// place. The parser reports the line before the one where the construct
// it was reading began (its context, counted from 0), not the line where
// it stopped: an indentation error on line 3 inside a list begun on line
// 2 reads "line 1". The parser reads in order, so the line it stopped at
// is the first line at which the text up to it fails with the very same
// error; that line is at or after the one reported, since the construct
// began before the problem. An error without a line is returned as it
// is, and so, should no such line be found, is err.
func atLine(data []byte, err error) error {
	m := syntaxLine.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	from, _ := strconv.Atoi(m[1])
	lines := bytes.SplitAfter(data, []byte("\n"))
	for k := max(from, 1); k <= len(lines); k++ {
		var n yaml.Node
		perr := yaml.Unmarshal(bytes.Join(lines[:k], nil), &n)
		if perr != nil && perr.Error() == err.Error() {
			return &syntaxError{line: k, problem: m[2], err: err}
		}
	}
	return err
}

// syntaxError is a syntax error of the parser at the line it stopped.
type syntaxError struct {
	line    int
	problem string
	err     error
}

func (e *syntaxError) Error() string {
	return "line " + strconv.Itoa(e.line) + ": " + e.problem
}

func (e *syntaxError) Unwrap() error { return e.err }

// yamlError drops the parser's "yaml: " so the message reads
// "regprune.yaml: invalid YAML: line 3: ...". Past parseYAML, the
// parser's messages quote keys, never values.
type yamlError struct{ err error }

func (e yamlError) Error() string {
	var te *yaml.TypeError
	if errors.As(e.err, &te) {
		return "invalid YAML: " + strings.Join(te.Errors, "; ")
	}
	return "invalid YAML: " + strings.TrimPrefix(e.err.Error(), "yaml: ")
}

func (e yamlError) Unwrap() error { return e.err }
