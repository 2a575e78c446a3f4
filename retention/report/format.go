package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/regprune/regprune/retention"
)

// Format names an output format.
type Format string

const (
	// Text is a human-readable report for terminals and CI logs.
	Text Format = "text"
	// JSON is the plan itself, the document a later apply executes.
	JSON Format = "json"
	// JSONLine is the JSON document on one line, for log pipelines that
	// read a line at a time (a Kubernetes pod's output in Loki or Fluent
	// Bit, where the JSON logs share the stream).
	JSONLine Format = "jsonl"
	// Markdown is meant for a GitHub job summary ($GITHUB_STEP_SUMMARY).
	Markdown Format = "markdown"
)

// formats lists the valid names in the order error messages show them.
var formats = []string{string(Text), string(JSON), string(JSONLine), string(Markdown), "md"}

// IsJSON reports whether f is the JSON document, indented or on one line.
func (f Format) IsJSON() bool { return f == JSON || f == JSONLine }

// ParseFormat maps a user-supplied name to a Format. It accepts text,
// json, jsonl, markdown and md (an alias of markdown), ignoring case and
// surrounding space.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "text":
		return Text, nil
	case "json":
		return JSON, nil
	case "jsonl":
		return JSONLine, nil
	case "markdown", "md":
		return Markdown, nil
	}
	return "", fmt.Errorf("%w %q: valid formats are %s", ErrUnknownFormat, s, strings.Join(formats, ", "))
}

// Write renders p in format f to w, as opts say (text and Markdown
// only; JSON is always the whole plan). It does not modify p, and renders
// p.Summary as it is: call Summarize first when the counts may be stale.
// The whole report is rendered before anything is written, so w receives
// either a complete report or nothing (unless w itself fails midway).
func Write(w io.Writer, p *retention.Plan, f Format, opts ...Option) error {
	if p == nil {
		return errors.New("writing report: nil plan")
	}
	o, err := buildOptions(opts)
	if err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	var buf bytes.Buffer
	switch f {
	case Text:
		writeText(&buf, p, o)
	case JSON, JSONLine:
		if err := writeJSON(&buf, p, f == JSON); err != nil {
			return fmt.Errorf("writing json report: %w", err)
		}
	case Markdown:
		writeMarkdown(&buf, p, o)
	default:
		return fmt.Errorf("writing report: %w %q: valid formats are %s", ErrUnknownFormat, string(f), strings.Join(formats, ", "))
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("writing %s report: %w", f, err)
	}
	return nil
}
