package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/regprune/regprune/retention"
)

// The modes a plan document may have.
const (
	modePlan  = retention.ModePlan
	modeApply = retention.ModeApply
)

// writeJSON writes p as one JSON document with a trailing newline,
// indented or on one line. Nil slices are written as empty arrays, so consumers (jq
// scripts, apply) never see null where a list belongs.
func writeJSON(w io.Writer, p *retention.Plan, indent bool) error {
	enc := json.NewEncoder(w)
	if indent {
		enc.SetIndent("", "  ")
	}
	// Reasons and errors are read by people; "<" is clearer than "\u003c".
	enc.SetEscapeHTML(false)
	return enc.Encode(withArrays(p))
}

// WriteError writes, in the JSON format f (JSON or JSONL: on one line),
// the document that stands for the report of a run that stopped before
// it: {"schemaVersion": 1, "error": "...", "exitCode": 2}, so that
// stdout still holds one JSON document.
func WriteError(w io.Writer, f Format, err error, code int) error {
	doc := struct {
		SchemaVersion int    `json:"schemaVersion"`
		Error         string `json:"error"`
		ExitCode      int    `json:"exitCode"`
	}{retention.SchemaVersion, err.Error(), code}
	b, _ := json.Marshal(doc)
	if f == JSON {
		b, _ = json.MarshalIndent(doc, "", "  ")
	}
	_, werr := fmt.Fprintf(w, "%s\n", b)
	return werr
}
