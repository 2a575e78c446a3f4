package config

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary files to parse: it must never panic, every
// error must be an *Error, and a file that loads must compile.
func FuzzLoad(f *testing.F) {
	example, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	f.Add([]byte(minimal))
	f.Add([]byte(""))
	for _, tt := range badInputs {
		f.Add([]byte(tt.file))
	}
	const secret = "s3cr3t-Pa55"
	o := &options{lookup: func(k string) (string, bool) {
		switch k {
		case "REGISTRY_PASSWORD":
			return secret, true
		case "REGPRUNE_MINAGE":
			return "1h", true
		}
		return "", false
	}}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := parse("regprune.yaml", data, o)
		if err != nil {
			var cerr *Error
			if !errors.As(err, &cerr) {
				t.Fatalf("error is %T, want *Error: %v", err, err)
			}
			// check must refuse whatever mapstructure would: its
			// messages may quote values.
			if errors.Unwrap(cerr.Err) != nil && strings.HasPrefix(cerr.Err.Error(), "decoding the configuration") {
				t.Fatalf("check let through what decoding refused: %v", err)
			}
			// The secret is only ever an expanded variable's value; it
			// must not appear unless the file itself holds it.
			if strings.Contains(err.Error(), secret) && !strings.Contains(string(data), secret) {
				t.Fatalf("error leaks an expanded variable: %v", err)
			}
			return
		}
		if _, err := cfg.Compile(); err != nil {
			t.Fatalf("parse succeeded but Compile fails: %v", err)
		}
	})
}
