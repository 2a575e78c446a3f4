package report

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzReadPlan checks that ReadPlan never panics, and that whatever it
// accepts renders in every format and survives a JSON round trip.
func FuzzReadPlan(f *testing.F) {
	goldens, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, g := range goldens {
		b, err := os.ReadFile(g)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(validPlan(dg("a"), "image")))
	f.Add([]byte(forgedLocalPlan(`{"digest": "` + dg("a") + `", "tags": ["old"], "kind": "image"}`)))
	f.Add([]byte(`{"schemaVersion": 1, "mode": "apply", "repositories": [{"repository": "r", "tags": [{"tag": "t", "action": "keep", "created": "2025-01-01T00:00:00+05:00"}]}]}`))
	f.Add([]byte(`{"schemaVersion": 2}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"schemaVersion": 1e400}`))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := ReadPlan(bytes.NewReader(in))
		if err != nil {
			return
		}
		for _, format := range []Format{Text, Markdown} {
			if err := Write(&bytes.Buffer{}, p, format); err != nil {
				t.Fatalf("Write(%s) of an accepted plan: %v", format, err)
			}
		}
		var out bytes.Buffer
		if err := Write(&out, p, JSON); err != nil {
			t.Fatalf("Write(json) of an accepted plan: %v", err)
		}
		again, err := ReadPlan(&out)
		if err != nil {
			t.Fatalf("ReadPlan refuses its own output: %v\n%s", err, out.String())
		}
		if diff := cmp.Diff(p, again); diff != "" {
			t.Fatalf("JSON round trip changed the plan (-want +got):\n%s", diff)
		}
	})
}
