// Package example holds the shipped example configuration, embedded for
// `regprune init`: a `go install` user has no config.example.yaml. The
// file is a copy of the repository's config.example.yaml, and a test
// keeps the two equal.
package example

import _ "embed"

// Config is config.example.yaml: every key, commented.
//
//go:embed config.yaml
var Config []byte
