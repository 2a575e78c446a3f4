package seed_test

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/regprune/regprune/internal/seed"
)

// newRegistry starts go-containerregistry's in-memory registry with the
// referrers API and returns its host:port.
func newRegistry(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(
		registry.WithReferrersSupport(true),
		registry.Logger(log.New(io.Discard, "", 0)),
	))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

var created = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// get fetches ref's manifest descriptor from the registry.
func get(t *testing.T, ref string) *remote.Descriptor {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	d, err := remote.Get(r)
	if err != nil {
		t.Fatalf("getting %s: %v", ref, err)
	}
	return d
}

func TestImageRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	host := newRegistry(t)
	tests := []struct {
		name          string
		created       time.Time
		opts          []seed.Option
		wantMediaType types.MediaType
		wantCreated   time.Time
		wantLabel     string
		wantAnn       string
		wantPlatform  string
	}{
		{name: "oci", created: created, wantMediaType: types.OCIManifestSchema1, wantCreated: created, wantPlatform: "linux/amd64"},
		{name: "docker", created: created, opts: []seed.Option{seed.Docker()}, wantMediaType: types.DockerManifestSchema2, wantCreated: created, wantPlatform: "linux/amd64"},
		{name: "no created", wantMediaType: types.OCIManifestSchema1, wantPlatform: "linux/amd64"},
		{
			name:    "label annotation platform",
			created: time.Unix(0, 0).UTC(),
			opts: []seed.Option{
				seed.WithCreatedLabel("2024-05-01T00:00:00Z"),
				seed.WithCreatedAnnotation("2024-06-01T00:00:00Z"),
				seed.WithPlatform("linux/arm64/v8"),
			},
			wantMediaType: types.OCIManifestSchema1,
			wantCreated:   time.Unix(0, 0).UTC(),
			wantLabel:     "2024-05-01T00:00:00Z",
			wantAnn:       "2024-06-01T00:00:00Z",
			wantPlatform:  "linux/arm64/v8",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := seed.Image(tt.created, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			ref := host + "/app:" + strings.ReplaceAll(tt.name, " ", "-")
			dig, err := seed.Push(ctx, ref, img)
			if err != nil {
				t.Fatal(err)
			}
			d := get(t, ref)
			if d.Digest.String() != dig {
				t.Errorf("digest = %s, Push returned %s", d.Digest, dig)
			}
			if d.MediaType != tt.wantMediaType {
				t.Errorf("media type = %s, want %s", d.MediaType, tt.wantMediaType)
			}
			got, err := d.Image()
			if err != nil {
				t.Fatal(err)
			}
			raw, err := got.RawConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if tt.created.IsZero() && strings.Contains(string(raw), `"created"`) {
				t.Errorf("config has created, want none: %s", raw)
			}
			cf, err := got.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if !cf.Created.Time.Equal(tt.wantCreated) {
				t.Errorf("config created = %v, want %v", cf.Created.Time, tt.wantCreated)
			}
			if l := cf.Config.Labels[seed.AnnotationCreated]; l != tt.wantLabel {
				t.Errorf("created label = %q, want %q", l, tt.wantLabel)
			}
			if p := cf.Platform().String(); p != tt.wantPlatform {
				t.Errorf("platform = %s, want %s", p, tt.wantPlatform)
			}
			m, err := got.Manifest()
			if err != nil {
				t.Fatal(err)
			}
			if a := m.Annotations[seed.AnnotationCreated]; a != tt.wantAnn {
				t.Errorf("created annotation = %q, want %q", a, tt.wantAnn)
			}
			if n := len(m.Layers); n != 1 {
				t.Errorf("%d layers, want 1", n)
			}
		})
	}
}

func TestImagesDiffer(t *testing.T) {
	t.Parallel()
	a, err := seed.Image(created)
	if err != nil {
		t.Fatal(err)
	}
	b, err := seed.Image(created)
	if err != nil {
		t.Fatal(err)
	}
	da, _ := a.Digest()
	db, _ := b.Digest()
	if da == db {
		t.Errorf("two images share digest %s", da)
	}
}

func TestIndex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	host := newRegistry(t)
	tests := []struct {
		name          string
		opts          []seed.Option
		wantMediaType types.MediaType
		wantChild     types.MediaType
		wantPlatforms []string
	}{
		{name: "oci", wantMediaType: types.OCIImageIndex, wantChild: types.OCIManifestSchema1, wantPlatforms: []string{"linux/amd64", "linux/arm64"}},
		{name: "docker", opts: []seed.Option{seed.Docker()}, wantMediaType: types.DockerManifestList, wantChild: types.DockerManifestSchema2, wantPlatforms: []string{"linux/amd64", "linux/arm64"}},
		{
			name:          "attestations",
			opts:          []seed.Option{seed.WithAttestations(), seed.WithCreatedAnnotation(created.Format(time.RFC3339))},
			wantMediaType: types.OCIImageIndex,
			wantChild:     types.OCIManifestSchema1,
			wantPlatforms: []string{"linux/amd64", "linux/arm64", "unknown/unknown", "unknown/unknown"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idx, err := seed.Index(created, nil, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			ref := host + "/multi:" + tt.name
			if _, err := seed.Push(ctx, ref, idx); err != nil {
				t.Fatal(err)
			}
			d := get(t, ref)
			if d.MediaType != tt.wantMediaType {
				t.Errorf("media type = %s, want %s", d.MediaType, tt.wantMediaType)
			}
			got, err := d.ImageIndex()
			if err != nil {
				t.Fatal(err)
			}
			im, err := got.IndexManifest()
			if err != nil {
				t.Fatal(err)
			}
			var platforms []string
			for _, c := range im.Manifests {
				platforms = append(platforms, c.Platform.String())
				if c.MediaType != tt.wantChild {
					t.Errorf("child %s media type = %s, want %s", c.Digest, c.MediaType, tt.wantChild)
				}
				// Every child was pushed and is readable by digest.
				get(t, host+"/multi@"+c.Digest.String())
				if c.Platform.OS == "unknown" {
					if c.Annotations[seed.AnnotationReferenceType] != seed.ReferenceTypeAttest {
						t.Errorf("attestation %s annotations = %v", c.Digest, c.Annotations)
					}
					if !strings.HasPrefix(c.Annotations[seed.AnnotationReferenceDig], "sha256:") {
						t.Errorf("attestation %s references %q", c.Digest, c.Annotations[seed.AnnotationReferenceDig])
					}
				}
			}
			if diff := cmp.Diff(tt.wantPlatforms, platforms); diff != "" {
				t.Errorf("platforms (-want +got):\n%s", diff)
			}
		})
	}
}

func TestIndexOfSharesChildren(t *testing.T) {
	t.Parallel()
	a, err := seed.Image(created)
	if err != nil {
		t.Fatal(err)
	}
	b, err := seed.Image(created, seed.WithPlatform("linux/arm64"))
	if err != nil {
		t.Fatal(err)
	}
	i1, err := seed.IndexOf([]v1.Image{a, b})
	if err != nil {
		t.Fatal(err)
	}
	i2, err := seed.IndexOf([]v1.Image{a}, seed.WithCreatedAnnotation("2024-01-01T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	m1, _ := i1.IndexManifest()
	m2, _ := i2.IndexManifest()
	if m1.Manifests[0].Digest != m2.Manifests[0].Digest {
		t.Errorf("first children differ: %s, %s", m1.Manifests[0].Digest, m2.Manifests[0].Digest)
	}
	if got := m2.Annotations[seed.AnnotationCreated]; got != "2024-01-01T00:00:00Z" {
		t.Errorf("index created annotation = %q", got)
	}
	if got := m1.Manifests[1].Platform.String(); got != "linux/arm64" {
		t.Errorf("second child platform = %s", got)
	}
}

func TestSignatureAndReferrer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	host := newRegistry(t)
	img, err := seed.Image(created)
	if err != nil {
		t.Fatal(err)
	}
	dig, err := seed.Push(ctx, host+"/app:v1", img)
	if err != nil {
		t.Fatal(err)
	}
	h, err := v1.NewHash(dig)
	if err != nil {
		t.Fatal(err)
	}

	sig, err := seed.Signature(h)
	if err != nil {
		t.Fatal(err)
	}
	tag := seed.SignatureTag(h)
	if want := "sha256-" + h.Hex + ".sig"; tag != want {
		t.Errorf("SignatureTag = %q, want %q", tag, want)
	}
	if _, err := seed.Push(ctx, host+"/app:"+tag, sig); err != nil {
		t.Fatal(err)
	}
	sm, err := get(t, host+"/app:"+tag).Image()
	if err != nil {
		t.Fatal(err)
	}
	m, err := sm.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.MediaType != types.OCIManifestSchema1 || len(m.Layers) != 1 || m.Layers[0].MediaType != seed.MediaTypeSimpleSigning {
		t.Errorf("signature manifest = %+v", m)
	}

	subject, err := seed.Descriptor(img)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := seed.Referrer(subject, "application/spdx+json", seed.WithCreatedAnnotation(created.Format(time.RFC3339)))
	if err != nil {
		t.Fatal(err)
	}
	refDigest, err := seed.PushByDigest(ctx, host+"/app", ref)
	if err != nil {
		t.Fatal(err)
	}
	rm, err := get(t, host+"/app@"+refDigest).Image()
	if err != nil {
		t.Fatal(err)
	}
	m, err = rm.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject == nil || m.Subject.Digest != h {
		t.Errorf("referrer subject = %+v, want %s", m.Subject, h)
	}
	if m.ArtifactType != "application/spdx+json" || m.Config.MediaType != seed.MediaTypeEmpty {
		t.Errorf("referrer artifactType = %q, config = %s", m.ArtifactType, m.Config.MediaType)
	}
	sd, err := name.NewDigest(host+"/app@"+dig, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	referrers, err := remote.Referrers(sd)
	if err != nil {
		t.Fatal(err)
	}
	im, err := referrers.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 || im.Manifests[0].Digest.String() != refDigest {
		t.Errorf("referrers = %+v, want only %s", im.Manifests, refDigest)
	}
}

func TestHistory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	host := newRegistry(t)
	repo := host + "/hist"
	day := 24 * time.Hour
	got, err := seed.History(ctx, repo, []seed.Entry{
		{Tag: "v1.0.0", Created: created},
		{Tag: "v1.1.0", Created: created.Add(day), Kind: seed.KindIndex},
		{Kind: seed.KindSignature, Of: "v1.1.0"},
		{Tag: "latest", Kind: seed.KindAlias, Of: "v1.1.0"},
		{Tag: "sbom", Kind: seed.KindReferrer, Of: "v1.0.0"},
		{Tag: "v1.0.0", Created: created.Add(2 * day)}, // retagged
	})
	if err != nil {
		t.Fatal(err)
	}
	if got["latest"] != got["v1.1.0"] {
		t.Errorf("latest = %s, want v1.1.0's %s", got["latest"], got["v1.1.0"])
	}
	h, _ := v1.NewHash(got["v1.1.0"])
	if _, ok := got[seed.SignatureTag(h)]; !ok {
		t.Errorf("no signature tag in %v", got)
	}
	r, err := name.NewRepository(repo, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	tags, err := remote.List(r)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"latest", seed.SignatureTag(h), "v1.0.0", "v1.1.0"}
	if diff := cmp.Diff(want, tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	img, err := get(t, repo+":v1.0.0").Image()
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if !cf.Created.Time.Equal(created.Add(2 * day)) {
		t.Errorf("v1.0.0 created = %v, want the retagged image's", cf.Created.Time)
	}
	if d := get(t, repo+":v1.0.0").Digest.String(); d != got["v1.0.0"] {
		t.Errorf("v1.0.0 = %s, History says %s", d, got["v1.0.0"])
	}

	if _, err := seed.History(ctx, repo, []seed.Entry{{Tag: "x", Kind: seed.KindAlias, Of: "nope"}}); err == nil {
		t.Error("alias of an unknown tag: no error")
	}
}
