package report

import (
	"encoding/json"
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
	return enc.Encode(p.WithArrays())
}
