package registrytest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckVersion(t *testing.T) {
	// Not parallel: it writes scripts and runs them at once, and a
	// parallel test forking meanwhile can hold the script's write
	// descriptor open, failing the exec with "text file busy".
	dir := t.TempDir()
	script := func(name, out string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\necho '"+out+"'\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, out, wantErr string
	}{
		{"good", "/x/registry github.com/distribution/distribution/v3 v3.1.2+unknown", ""},
		{"release", "registry github.com/distribution/distribution/v3 v3.1.2", ""},
		{"old", "registry github.com/distribution/distribution/v3 v3.0.0", "want v3.1.2"},
		{"other", "something else", "unexpected output"},
	}
	for _, tt := range tests {
		err := checkVersion(script(tt.name, tt.out))
		if tt.wantErr == "" && err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
		if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%s: err = %v, want one containing %q", tt.name, err, tt.wantErr)
		}
	}
	if err := checkVersion(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing binary: no error")
	}
}
