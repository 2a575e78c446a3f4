package oci

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/internal/seed"
)

// pushRawConfig pushes, byte for byte, a config blob and an image
// manifest with no layers that names it, under tag.
func pushRawConfig(t *testing.T, reg *registrytest.Registry, name, tag string, config []byte) string {
	t.Helper()
	cfgDigest := digestOf(config)
	resp, err := http.Post(fmt.Sprintf("%s/v2/%s/blobs/uploads/", reg.URL, name), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("starting an upload: %s %v", resp.Status, err)
	}
	base, _ := url.Parse(reg.URL)
	loc = base.ResolveReference(loc)
	q := loc.Query()
	q.Set("digest", cfgDigest)
	loc.RawQuery = q.Encode()
	put := func(u string, body []byte, mt string) {
		req, _ := http.NewRequest(http.MethodPut, u, bytes.NewReader(body))
		req.Header.Set("Content-Type", mt)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("PUT %s: %s", u, resp.Status)
		}
	}
	put(loc.String(), config, "application/octet-stream")
	manifest := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
		`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":%d},"layers":[]}`, cfgDigest, len(config)))
	put(fmt.Sprintf("%s/v2/%s/manifests/%s", reg.URL, name, tag), manifest, "application/vnd.oci.image.manifest.v1+json")
	return digestOf(manifest)
}

// TestDistributionOddConfigs: config blobs that are not what Docker
// writes (YAML, an array, a number for created, a label that is no
// string) leave their manifest's time unknown; the repository is still
// listed, and its ordinary images are dated.
func TestDistributionOddConfigs(t *testing.T) {
	t.Parallel()
	reg := registrytest.StartDistribution(t)
	ctx := context.Background()
	d, err := seed.History(ctx, reg.Repo("odd"), []seed.Entry{{Tag: "plain", Created: feb}})
	if err != nil {
		t.Fatal(err)
	}
	odd := map[string]string{
		"yaml":          "created: 2026-03-01T00:00:00Z\nname: chart\n",
		"array":         `[{"created":"2026-03-01T00:00:00Z"}]`,
		"number":        `{"created":1772323200}`,
		"label-number":  `{"config":{"Labels":{"org.opencontainers.image.created":20260301}}}`,
		"not-json-text": "\x00\x01binary",
	}
	for tag, blob := range odd {
		d[tag] = pushRawConfig(t, reg, "odd", tag, []byte(blob))
	}
	l, err := newClient(t, nil).List(ctx, reg.Repo("odd"), true, now)
	if err != nil {
		t.Fatalf("listing a repository with odd configs: %v", err)
	}
	if m := l.Manifests[d["plain"]]; !m.Created.Equal(feb) {
		t.Errorf("plain: created %s, want %s", m.Created, feb)
	}
	for tag := range odd {
		m, ok := l.Manifests[d[tag]]
		if !ok || !m.Created.IsZero() {
			t.Errorf("%s: listed %v, created %s; want it listed with an unknown time", tag, ok, m.Created.Format(time.RFC3339))
		}
	}
}
