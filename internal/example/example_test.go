package example

import (
	"bytes"
	"os"
	"testing"
)

// TestSameAsShipped: the embedded example is the repository's
// config.example.yaml, byte for byte.
func TestSameAsShipped(t *testing.T) {
	shipped, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(shipped, Config) {
		t.Fatal("internal/example/config.yaml differs from config.example.yaml: copy it again (cp config.example.yaml internal/example/config.yaml)")
	}
}
