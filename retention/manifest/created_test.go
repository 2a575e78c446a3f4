package manifest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// now is the time the tests read creation times at.
var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// mapSource is a TimeSource over plain maps: the rule is pure, its
// reads are the caller's.
type mapSource struct {
	manifests map[string]Facts
	configs   map[string]ConfigFacts
	broken    string // a digest whose read fails
	now       time.Time
}

func (s mapSource) ChildTime(ctx context.Context, c ChildFacts, depth int) (Created, bool, error) {
	if c.Digest == s.broken {
		return Created{}, false, errors.New("registry on fire")
	}
	m, ok := s.manifests[c.Digest]
	if !ok {
		return Created{}, false, nil
	}
	ct, err := CreationTime(ctx, s.now, s, m, depth)
	return ct, err == nil, err
}

func (s mapSource) Config(_ context.Context, d string) (ConfigFacts, bool, error) {
	if d == s.broken {
		return ConfigFacts{}, false, errors.New("registry on fire")
	}
	c, ok := s.configs[d]
	return c, ok, nil
}

func TestCreationTime(t *testing.T) {
	t.Parallel()
	jan, apr := "2026-01-10T00:00:00Z", "2026-04-10T00:00:00Z"
	epoch, future := "1970-01-01T00:00:00Z", "2030-01-01T00:00:00Z"
	src := mapSource{now: now,
		manifests: map[string]Facts{
			"img-jan":     {Config: "cfg-jan"},
			"img-apr":     {Config: "cfg-apr"},
			"img-repro":   {Config: "cfg-repro"},
			"img-labeled": {Config: "cfg-label"},
			"attest":      {Annotation: jan},
			"inner":       {Index: true, Children: []ChildFacts{{Digest: "img-repro"}, {Digest: "img-apr"}}},
		},
		configs: map[string]ConfigFacts{
			"cfg-jan": {Created: jan}, "cfg-apr": {Created: apr}, "cfg-repro": {Created: epoch},
			"cfg-label": {Created: epoch, Label: apr},
		},
		broken: "broken",
	}
	at := func(s, source string) Created {
		tm, _ := time.Parse(time.RFC3339, s)
		return Created{tm, source}
	}
	tests := []struct {
		name    string
		m       Facts
		want    Created
		wantErr bool
	}{
		{"annotation first", Facts{Annotation: jan, Config: "cfg-apr"}, at(jan, "annotation"), false},
		{"implausible annotation falls through", Facts{Annotation: epoch, Config: "cfg-apr"}, at(apr, "config"), false},
		{"future annotation falls through", Facts{Annotation: future, Config: "cfg-apr"}, at(apr, "config"), false},
		{"1970 config, then the label", Facts{Config: "cfg-label"}, at(apr, "config label"), false},
		{"reproducible build is unknown", Facts{Config: "cfg-repro"}, Created{}, false},
		{"missing config is unknown", Facts{Config: "cfg-gone"}, Created{}, false},
		{"no config", Facts{}, Created{}, false},
		{"index: first child that has a time, attestations aside", Facts{Index: true, Children: []ChildFacts{
			{Digest: "attest", Attestation: true}, {Digest: "missing"}, {Digest: "img-repro"}, {Digest: "img-apr"}, {Digest: "img-jan"},
		}}, at(apr, "child img-apr config"), false},
		{"index annotation wins", Facts{Annotation: jan, Index: true, Children: []ChildFacts{{Digest: "img-apr"}}}, at(jan, "annotation"), false},
		{"nested index", Facts{Index: true, Children: []ChildFacts{{Digest: "inner"}}}, at(apr, "child inner child img-apr config"), false},
		{"a child that fails fails the index", Facts{Index: true, Children: []ChildFacts{{Digest: "broken"}, {Digest: "img-jan"}}}, Created{}, true},
		{"a config that fails fails the image", Facts{Config: "broken"}, Created{}, true},
	}
	for _, tc := range tests {
		got, err := CreationTime(context.Background(), now, src, tc.m, 0)
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: err = %v, want error %v", tc.name, err, tc.wantErr)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
	deep := Facts{Index: true, Children: []ChildFacts{{Digest: "img-apr"}}}
	if got, _ := CreationTime(context.Background(), now, src, deep, MaxIndexDepth); !got.Time.IsZero() {
		t.Errorf("an index at the depth bound is dated %v; want unknown", got)
	}
}

func TestIsAttestation(t *testing.T) {
	t.Parallel()
	if !IsAttestation(map[string]string{"vnd.docker.reference.type": "attestation-manifest"}, "linux", "amd64") || !IsAttestation(nil, "unknown", "unknown") || IsAttestation(nil, "linux", "arm64") {
		t.Error("IsAttestation misreads BuildKit's marking")
	}
}

func TestParseConfigTimesOdd(t *testing.T) {
	const ts = "2026-03-01T00:00:00Z"
	tests := []struct {
		name, blob string
		want       ConfigFacts
		wantErr    bool
	}{
		{"docker", `{"created":"` + ts + `","config":{"Labels":{"` + AnnotationCreated + `":"` + ts + `"}}}`, ConfigFacts{Created: ts, Label: ts}, false},
		{"number created", `{"created":1700000000,"config":{"Labels":{"` + AnnotationCreated + `":"` + ts + `"}}}`, ConfigFacts{Label: ts}, false},
		{"label not a string", `{"created":"` + ts + `","config":{"Labels":{"` + AnnotationCreated + `":5,"other":true}}}`, ConfigFacts{Created: ts}, false},
		{"labels an array", `{"created":"` + ts + `","config":{"Labels":["a"]}}`, ConfigFacts{Created: ts}, false},
		{"config a string", `{"config":"yes"}`, ConfigFacts{}, false},
		{"empty object", `{}`, ConfigFacts{}, false},
		{"array", `[1,2]`, ConfigFacts{}, true},
		{"number", `42`, ConfigFacts{}, true},
		{"null", `null`, ConfigFacts{}, true},
		{"yaml", "created: 2026-03-01\nname: chart\n", ConfigFacts{}, true},
		{"empty", ``, ConfigFacts{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseConfigTimes([]byte(tc.blob))
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("ParseConfigTimes(%q) = %+v, %v; want %+v, error %v", tc.blob, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

// FuzzParseConfigTimes: any blob parses or fails cleanly, and a blob that
// parses gives back only strings it held.
func FuzzParseConfigTimes(f *testing.F) {
	f.Add([]byte(`{"created":"2026-03-01T00:00:00Z","config":{"Labels":{"a":"b"}}}`))
	f.Add([]byte(`{"created":5,"config":[]}`))
	f.Add([]byte("created: x\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := ParseConfigTimes(b); err != nil && len(err.Error()) == 0 {
			t.Error("an error without a message")
		}
	})
}
