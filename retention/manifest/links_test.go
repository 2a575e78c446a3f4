package manifest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseLinks(t *testing.T) {
	for _, tc := range []struct {
		name, raw, ct string
		want          Links
		bad           bool
	}{
		{"index", `{"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"digest":"sha256:a"},{"digest":"sha256:b"}]}`, "",
			Links{MediaType: MediaTypeOCIIndex, Children: []string{"sha256:a", "sha256:b"}}, false},
		{"referrer", `{"mediaType":"application/vnd.oci.image.manifest.v1+json","subject":{"digest":"sha256:s"}}`, "",
			Links{MediaType: MediaTypeOCIManifest, Subject: "sha256:s"}, false},
		{"media type from the response", `{"schemaVersion":2}`, "application/vnd.docker.distribution.manifest.v2+json; charset=utf-8",
			Links{MediaType: "application/vnd.docker.distribution.manifest.v2+json"}, false},
		{"not JSON", `<html>`, "", Links{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseLinks([]byte(tc.raw), tc.ct)
			if (err != nil) != tc.bad {
				t.Fatalf("error %v, want error %v", err, tc.bad)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
