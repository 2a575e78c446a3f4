package report

import (
	"testing"

	"github.com/regprune/regprune/retention"
)

// TestFailing: failOn picks the warnings of the kinds it names, and
// without failOn no warning fails the run.
func TestFailing(t *testing.T) {
	t.Parallel()
	ws := []retention.Warning{{Kind: retention.WarnUnmatched, Policy: "web"}, {Kind: retention.WarnUnmatched, Policy: "api"}}
	if f := Failing(ws, []string{retention.WarnUnmatched}); len(f) != 2 {
		t.Errorf("Failing with failOn [unmatched]: %d warnings, want 2", len(f))
	}
	if f := Failing(ws, nil); len(f) != 0 {
		t.Errorf("Failing without failOn: %d warnings, want 0", len(f))
	}
}
