package report

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/regprune/regprune/retention"
)

func TestJSONRoundTrip(t *testing.T) {
	t.Parallel()
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			t.Parallel()
			p := fx.plan()
			var out bytes.Buffer
			if err := Write(&out, p, JSON); err != nil {
				t.Fatal(err)
			}
			got, err := ReadPlan(bytes.NewReader(out.Bytes()))
			if err != nil {
				t.Fatalf("ReadPlan: %v", err)
			}
			// The fixtures' nil lists come back as empty ones; nothing
			// else may change.
			if diff := cmp.Diff(withArrays(p), got); diff != "" {
				t.Errorf("ReadPlan(Write(p)) (-want +got):\n%s", diff)
			}
			var again bytes.Buffer
			if err := Write(&again, got, JSON); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(out.String(), again.String()); diff != "" {
				t.Errorf("second JSON rendering differs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestJSONNeverNull(t *testing.T) {
	t.Parallel()
	p := &retention.Plan{
		SchemaVersion: retention.SchemaVersion,
		Mode:          "plan",
		Repositories: []retention.RepoPlan{{
			Repository: "r.example/a",
			Tags:       []retention.TagDecision{{Tag: "t", Digest: dg("a"), Action: retention.Keep}},
			Deletions:  []retention.Deletion{{Digest: dg("b"), Kind: retention.KindChild}},
		}},
	}
	var out bytes.Buffer
	if err := Write(&out, p, JSON); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{`"reasons": []`, `"policies": []`, `"tags": []`, `"created": null`} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON lacks %s:\n%s", want, s)
		}
	}
	if n := strings.Count(s, "null"); n != 1 {
		t.Errorf("JSON has %d nulls, want only created's:\n%s", n, s)
	}
	if !strings.HasSuffix(s, "}\n") || strings.Count(s, "\n}\n") != 1 {
		t.Errorf("JSON is not one document with a trailing newline:\n%s", s)
	}
	empty := &retention.Plan{SchemaVersion: retention.SchemaVersion, Mode: "plan"}
	out.Reset()
	if err := Write(&out, empty, JSON); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"repositories": []`) {
		t.Errorf("empty plan JSON lacks an empty repositories array:\n%s", out.String())
	}
}

// validPlanJSON is a minimal readable plan; tests break one part of it.
const validPlanJSON = `{
  "schemaVersion": 1,
  "mode": "plan",
  "generatedAt": "2025-03-01T12:30:00Z",
  "repositories": [{
    "repository": "r.example/a",
    "policies": ["p"],
    "tags": [{"tag": "t", "digest": "` + "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" + `", "created": null, "action": "delete", "reasons": ["r"]}],
    "deletions": [{"digest": "DIGEST", "tags": ["t"], "kind": "KIND"}]
  }],
  "summary": {"repositories": 1, "failedRepositories": 0, "tags": 1, "keep": 0, "delete": 1, "manifests": 1, "tagOnly": 0, "children": 0, "referrers": 0}
}`

func validPlan(digest, kind string) string {
	return strings.NewReplacer("DIGEST", digest, "KIND", kind).Replace(validPlanJSON)
}

func TestReadPlanAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
	}{
		{name: "minimal", in: validPlan(dg("a"), "image")},
		{name: "unknown fields", in: strings.Replace(validPlan(dg("a"), "index"), `"mode": "plan",`, `"mode": "plan", "futureField": {"x": [1]},`, 1)},
		{name: "apply mode", in: strings.Replace(validPlan(dg("a"), "image"), `"mode": "plan"`, `"mode": "apply"`, 1)},
		{name: "trailing space", in: validPlan(dg("a"), "image") + "\n\n  "},
		{name: "null lists", in: `{"schemaVersion": 1, "mode": "plan", "repositories": [{"repository": "r", "policies": null, "tags": null, "deletions": null}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := ReadPlan(strings.NewReader(tt.in))
			if err != nil {
				t.Fatalf("ReadPlan: %v", err)
			}
			if p.Repositories == nil || p.Repositories[0].Tags == nil || p.Repositories[0].Deletions == nil || p.Repositories[0].Policies == nil {
				t.Errorf("ReadPlan returned nil lists: %+v", p)
			}
		})
	}
}

func TestReadPlanRefuses(t *testing.T) {
	t.Parallel()
	valid := validPlan(dg("a"), "image")
	tests := []struct {
		name    string
		in      string
		wantErr error  // nil: any error
		wantMsg string // a part of the message that guides the user
	}{
		{name: "schema version 2", in: strings.Replace(valid, `"schemaVersion": 1`, `"schemaVersion": 2`, 1), wantErr: ErrSchemaVersion, wantMsg: "version 2"},
		// A newer layout must be refused by version, not by a type error.
		{name: "schema version 2 with new layout", in: `{"schemaVersion": 2, "mode": "plan", "repositories": {"r": {}}}`, wantErr: ErrSchemaVersion},
		{name: "schema version 0", in: strings.Replace(valid, `"schemaVersion": 1`, `"schemaVersion": 0`, 1), wantErr: ErrSchemaVersion},
		{name: "schema version as string", in: strings.Replace(valid, `"schemaVersion": 1`, `"schemaVersion": "x"`, 1)},
		{name: "no schema version", in: strings.Replace(valid, `"schemaVersion": 1,`, ``, 1), wantErr: ErrSchemaVersion, wantMsg: "no schemaVersion"},
		{name: "unknown mode", in: strings.Replace(valid, `"mode": "plan"`, `"mode": "destroy"`, 1), wantErr: ErrInvalidPlan, wantMsg: `mode "destroy"`},
		{name: "no mode", in: strings.Replace(valid, `"mode": "plan",`, ``, 1), wantErr: ErrInvalidPlan, wantMsg: "no mode"},
		{name: "garbage", in: "this is not json", wantMsg: "reading plan"},
		{name: "binary garbage", in: "\x00\xff\xfe{", wantMsg: "reading plan"},
		{name: "empty", in: "", wantMsg: "empty input"},
		{name: "null", in: "null", wantErr: ErrInvalidPlan, wantMsg: "not a JSON object"},
		{name: "array", in: "[" + valid + "]", wantErr: ErrInvalidPlan, wantMsg: "not a JSON object"},
		{name: "truncated", in: valid[:len(valid)/2]},
		{name: "two documents", in: valid + valid, wantMsg: "after the JSON document"},
		{name: "short digest", in: validPlan("sha256:abc", "image"), wantErr: ErrInvalidPlan, wantMsg: `digest "sha256:abc"`},
		{name: "uppercase digest", in: validPlan("sha256:"+strings.Repeat("A", 64), "image"), wantErr: ErrInvalidPlan},
		{name: "sha512 digest", in: validPlan("sha512:"+strings.Repeat("a", 128), "image"), wantErr: ErrInvalidPlan},
		{name: "empty digest", in: validPlan("", "image"), wantErr: ErrInvalidPlan},
		{name: "digest with tag", in: validPlan("latest", "image"), wantErr: ErrInvalidPlan},
		{name: "unknown kind", in: validPlan(dg("a"), "blob"), wantErr: ErrInvalidPlan, wantMsg: `kind "blob"`},
		{name: "empty kind", in: validPlan(dg("a"), ""), wantErr: ErrInvalidPlan},
		{name: "tag kind without tags", in: strings.Replace(validPlan(dg("a"), "tag"), `"tags": ["t"], "kind"`, `"tags": [], "kind"`, 1), wantErr: ErrInvalidPlan, wantMsg: "no tags"},
		{name: "image kind without tags", in: strings.Replace(validPlan(dg("a"), "image"), `"tags": ["t"], "kind"`, `"tags": [], "kind"`, 1), wantErr: ErrInvalidPlan, wantMsg: `kind "image" with no tags`},
		{name: "child kind without parent", in: validPlan(dg("a"), "child"), wantErr: ErrInvalidPlan, wantMsg: `kind "child" with no parent`},
		{name: "referrer kind without parent", in: validPlan(dg("a"), "referrer"), wantErr: ErrInvalidPlan, wantMsg: `kind "referrer" with no parent`},
		{name: "bad parent", in: strings.Replace(validPlan(dg("a"), "child"), `"kind": "child"`, `"kind": "child", "parent": "sha256:zz"`, 1), wantErr: ErrInvalidPlan, wantMsg: "parent"},
		{name: "unknown status", in: strings.Replace(valid, `"kind": "image"`, `"kind": "image", "status": "maybe"`, 1), wantErr: ErrInvalidPlan, wantMsg: `status "maybe"`},
		{name: "unknown action", in: strings.Replace(valid, `"action": "delete"`, `"action": "purge"`, 1), wantErr: ErrInvalidPlan, wantMsg: `action "purge"`},
		{name: "no repository name", in: strings.Replace(valid, `"repository": "r.example/a"`, `"repository": ""`, 1), wantErr: ErrInvalidPlan, wantMsg: "no repository name"},
		{name: "failed repository with deletions", in: strings.Replace(valid, `"policies": ["p"]`, `"policies": ["p"], "error": "boom"`, 1), wantErr: ErrInvalidPlan, wantMsg: "failed repository"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := ReadPlan(strings.NewReader(tt.in))
			if err == nil {
				t.Fatalf("ReadPlan succeeded with %+v, want an error", p)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("ReadPlan error = %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("ReadPlan error = %q, want it to mention %q", err, tt.wantMsg)
			}
		})
	}
}

func TestReadPlanListsProblemsBounded(t *testing.T) {
	t.Parallel()
	var dels []string
	for range 25 {
		dels = append(dels, `{"digest": "bad", "tags": ["t"], "kind": "image"}`)
	}
	in := `{"schemaVersion": 1, "mode": "plan", "repositories": [{"repository": "r", "deletions": [` + strings.Join(dels, ",") + `]}]}`
	_, err := ReadPlan(strings.NewReader(in))
	if !errors.Is(err, ErrInvalidPlan) {
		t.Fatalf("ReadPlan error = %v, want %v", err, ErrInvalidPlan)
	}
	msg := err.Error()
	if n := strings.Count(msg, `digest "bad"`); n != 10 {
		t.Errorf("error lists %d problems, want 10 (the first ten):\n%s", n, msg)
	}
	if !strings.Contains(msg, "and 15 more problems") {
		t.Errorf("error does not say how many problems it left out:\n%s", msg)
	}
}

// forgedLocalPlan is a valid plan whose local part removes one layout entry
// and one docker image, with the given layout deletion.
func forgedLocalPlan(layoutDeletion string) string {
	return `{"schemaVersion": 1, "mode": "plan", "repositories": [], "local": [
  {"cache": "layout /srv/lay", "kind": "layout", "repositories": [{"repository": "app", "policies": ["p"],
    "tags": [{"tag": "old", "digest": "` + dg("a") + `", "created": null, "action": "delete", "reasons": ["r"]}],
    "deletions": [` + layoutDeletion + `]}]},
  {"cache": "docker unix:///var/run/docker.sock", "kind": "docker", "repositories": [{"repository": "(dangling)", "policies": [],
    "tags": [], "deletions": [{"digest": "` + dg("b") + `", "tags": [], "kind": "image", "reason": "dangling"}]}]}
]}`
}

// TestReadPlanLocalPart: the local part of a saved plan is checked as
// strictly as the registry part; a forged kind, digest or status there
// refuses the whole plan.
func TestReadPlanLocalPart(t *testing.T) {
	t.Parallel()
	good := `{"digest": "` + dg("a") + `", "tags": ["old"], "kind": "image", "reason": "r"}`
	if _, err := ReadPlan(strings.NewReader(forgedLocalPlan(good))); err != nil {
		t.Fatalf("a valid local part: %v", err)
	}
	tests := []struct{ name, in, wantMsg string }{
		{"unknown kind", forgedLocalPlan(strings.Replace(good, `"kind": "image"`, `"kind": "bogus-kind"`, 1)), `kind "bogus-kind"`},
		{"malformed digest", forgedLocalPlan(strings.Replace(good, dg("a"), "sha256:../../index.json", 1)), "is not sha256"},
		{"unknown status", forgedLocalPlan(strings.Replace(good, `"kind": "image"`, `"kind": "image", "status": "gone"`, 1)), `status "gone"`},
		{"child without parent", forgedLocalPlan(strings.Replace(good, `"kind": "image"`, `"kind": "child"`, 1)), "no parent"},
		{"unknown cache kind", strings.Replace(forgedLocalPlan(good), `"kind": "layout", "repositories"`, `"kind": "s3", "repositories"`, 1), `kind "s3"`},
		{"cache name and kind disagree", strings.Replace(forgedLocalPlan(good), `"cache": "layout /srv/lay", "kind": "layout"`, `"cache": "docker /srv/lay", "kind": "layout"`, 1), "does not start with its kind"},
		{"docker child", strings.Replace(forgedLocalPlan(good), `"tags": [], "kind": "image", "reason": "dangling"`, `"tags": [], "kind": "child", "parent": "`+dg("c")+`"`, 1), "a docker cache deletes"},
		{"unknown tag action", strings.Replace(forgedLocalPlan(good), `"action": "delete"`, `"action": "wipe"`, 1), `action "wipe"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ReadPlan(strings.NewReader(tt.in))
			if !errors.Is(err, ErrInvalidPlan) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("ReadPlan error = %v, want ErrInvalidPlan mentioning %q", err, tt.wantMsg)
			}
		})
	}
}

// TestReadPlanTextReport: a text or markdown report given as a plan is
// refused with a message that says what to save instead.
func TestReadPlanTextReport(t *testing.T) {
	t.Parallel()
	for _, f := range []Format{Text, Markdown} {
		var b bytes.Buffer
		if err := Write(&b, planFixture(), f); err != nil {
			t.Fatal(err)
		}
		_, err := ReadPlan(&b)
		if !errors.Is(err, ErrInvalidPlan) || !strings.Contains(err.Error(), "not a JSON plan") || !strings.Contains(err.Error(), "plan -o json") {
			t.Errorf("%v report: err %v, want one saying it is not a JSON plan", f, err)
		}
	}
}
