package main

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestDemoText: every line the demo prints in text fits 120 columns, the
// width the text report promises; and the tags of its GHCR package,
// ranked by push time (clock: pushed), show their age by it, not
// "unknown".
func TestDemoText(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "demo")
	if r.code != 0 {
		t.Fatalf("demo exit code %d\nstderr: %s", r.code, r.stderr)
	}
	const width = 120
	for i, line := range strings.Split(r.stdout, "\n") {
		if n := utf8.RuneCountInString(line); n > width {
			t.Errorf("line %d is %d columns, over %d:\n%s", i+1, n, width, line)
		}
	}
	// The plan's tag table of the package: from its heading to its
	// deletions.
	_, table, _ := strings.Cut(r.stdout, "/acme/app (policies: ghcr)\n")
	table, _, _ = strings.Cut(table, " deletions:\n")
	rows := 0
	for _, line := range strings.Split(table, "\n") {
		if strings.Contains(line, " keep ") || strings.Contains(line, " delete ") {
			rows++
			if !strings.Contains(line, "d (pushed)") {
				t.Errorf("a GHCR tag's age is not its push time's:\n%s", line)
			}
		}
	}
	if rows == 0 {
		t.Errorf("no tag table for the GHCR package:\n%s", r.stdout)
	}
}
