package config

import (
	"errors"
	"fmt"
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
		return nil, yamlError{err}
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
