package layout

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// FuzzParseRef: any ref name parses without panicking, keeps its name,
// and a full reference splits into a repository and a tag that put
// together give the name back.
func FuzzParseRef(f *testing.F) {
	d := "sha256:" + strings.Repeat("a", 64)
	for _, s := range []string{"", "v1.2.0", "latest", "docker.io/library/nginx:1.27", "localhost:5000/team/app:v1",
		"localhost:5000/team/app", "ghcr.io/o/app@" + d, "ghcr.io/o/app:v2@" + d, "app:v1", "Team/App:v1",
		"app@sha256:short", ":", "@", "a@" + d + "@" + d, "a:b:c", "/x:y", "x/:y", "a:" + strings.Repeat("t", 200)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		const bare = "/the/layout"
		r := parseRef(s, bare)
		if r.name != s || r.tagged() != (s != "") {
			t.Fatalf("parseRef(%q) = %+v: name or tagged wrong", s, r)
		}
		if r.repo == bare {
			if r.tag != s {
				t.Fatalf("parseRef(%q) = %+v: a bare tag must be the name", s, r)
			}
			return
		}
		if r.repo == "" || r.tag == "" || strings.ContainsAny(r.repo, "@") {
			t.Fatalf("parseRef(%q) = %+v: empty or invalid part", s, r)
		}
		if strings.HasPrefix(r.tag, "@") {
			if r.repo+r.tag != s || !validDigest(r.tag[1:]) {
				t.Fatalf("parseRef(%q) = %+v: digest reference does not rebuild the name", s, r)
			}
			return
		}
		if !tagRE.MatchString(r.tag) || !strings.HasPrefix(s, r.repo+":"+r.tag) {
			t.Fatalf("parseRef(%q) = %+v: tag reference does not rebuild the name", s, r)
		}
		if rest := s[len(r.repo)+1+len(r.tag):]; rest != "" && (rest[0] != '@' || !validDigest(rest[1:])) {
			t.Fatalf("parseRef(%q) = %+v: trailing %q", s, r, rest)
		}
	})
}

// FuzzParseIndex: any index.json parses or fails without panicking; what
// parses is re-encoded with the same entries (as written) and every
// other field, and re-encoding it without entries leaves none.
func FuzzParseIndex(f *testing.F) {
	d := "sha256:" + strings.Repeat("b", 64)
	for _, s := range []string{
		`{}`, `null`, `[]`, `{"manifests": null}`, `{"manifests": 5}`,
		`{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` + d + `","size":3,"annotations":{"org.opencontainers.image.ref.name":"v1"}}],"annotations":{"x":"y"}}`,
		`{"manifests":[{"digest":"` + d + `","annotations":{"org.opencontainers.image.ref.name":"reg/app:v1@` + d + `"}},{"digest":"` + d + `"}]}`,
		`{"manifests":[{"digest":"sha256:../../etc/passwd"}]}`,
		`{"manifests":[{"digest":"` + d + `","size":"x"}]}`,
		`{"Manifests":[{"digest":"` + d + `"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		idx, err := parseIndex(b, "/l")
		if err != nil {
			return
		}
		for i, e := range idx.entries {
			if !validDigest(e.desc.Digest) {
				t.Fatalf("entry %d: invalid digest %q accepted", i, e.desc.Digest)
			}
		}
		out, err := idx.encode(idx.entries)
		if err != nil {
			t.Fatalf("encoding what parsed: %v", err)
		}
		again, err := parseIndex(out, "/l")
		if err != nil {
			t.Fatalf("re-parsing the encoded index: %v\n%s", err, out)
		}
		if len(again.entries) != len(idx.entries) {
			t.Fatalf("%d entries, %d after a rewrite", len(idx.entries), len(again.entries))
		}
		for i := range idx.entries {
			a, b := idx.entries[i], again.entries[i]
			if a.desc.Digest != b.desc.Digest || a.ref != b.ref || !jsonEqual(a.raw, b.raw) {
				t.Fatalf("entry %d changed by a rewrite: %s -> %s", i, a.raw, b.raw)
			}
		}
		for k, v := range idx.fields {
			if k != "manifests" && !jsonEqual(v, again.fields[k]) {
				t.Fatalf("field %q changed by a rewrite: %s -> %s", k, v, again.fields[k])
			}
		}
		none, err := idx.encode(nil)
		if err != nil {
			t.Fatal(err)
		}
		if empty, err := parseIndex(none, "/l"); err != nil || len(empty.entries) != 0 {
			t.Fatalf("index without entries: %v, %+v", err, empty)
		}
	})
}

// jsonEqual compares two JSON texts by value (a rewrite may escape
// characters differently).
func jsonEqual(a, b []byte) bool {
	decode := func(b []byte) (any, error) {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var v any
		err := dec.Decode(&v)
		return v, err
	}
	x, errX := decode(a)
	y, errY := decode(b)
	if errX != nil || errY != nil {
		return bytes.Equal(a, b)
	}
	return reflect.DeepEqual(x, y)
}
