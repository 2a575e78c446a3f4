package oci

import (
	"strings"
	"testing"
	"time"
)

// TestOptionsRefuseBadValues: an option given a value it cannot take
// fails New, naming the option, instead of silently keeping its default.
func TestOptionsRefuseBadValues(t *testing.T) {
	for name, opt := range map[string]Option{
		"WithConcurrency":     WithConcurrency(0),
		"WithResponseTimeout": WithResponseTimeout(0),
		"WithBodyIdleTimeout": WithBodyIdleTimeout(-time.Second),
		"WithLogger":          WithLogger(nil),
		"WithBaseTransport":   WithBaseTransport(nil),
		"WithRetry":           WithRetry(1, time.Second, time.Millisecond, time.Second),
		"WithKeychain":        WithKeychain(nil),
		"WithUserAgent":       WithUserAgent(""),
	} {
		if _, err := New(nil, opt); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: err %v, want one naming the option", name, err)
		}
	}
	if _, err := New(nil, WithConcurrency(3), WithRetry(0, 0, 0, 0), WithDeleteScope()); err != nil {
		t.Errorf("good options refused: %v", err)
	}
}
