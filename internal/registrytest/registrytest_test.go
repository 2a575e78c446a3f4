package registrytest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/internal/seed"
)

var created = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

func list(t *testing.T, repo string) []string {
	t.Helper()
	r, err := name.NewRepository(repo, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	tags, err := remote.List(r)
	if err != nil {
		t.Fatalf("listing %s: %v", repo, err)
	}
	return tags
}

func del(ref string) error {
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		return err
	}
	return remote.Delete(r)
}

func TestDistributionDeletes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reg := registrytest.StartDistribution(t)
	if !strings.HasPrefix(reg.Host, "127.0.0.1:") || reg.URL != "http://"+reg.Host || reg.ConfigPath == "" {
		t.Errorf("registry = %+v", reg)
	}
	repo := reg.Repo("team/app")
	got, err := seed.History(ctx, repo, []seed.Entry{
		{Tag: "v1", Created: created},
		{Tag: "v2", Created: created.Add(time.Hour), Kind: seed.KindIndex},
		{Tag: "stable", Kind: seed.KindAlias, Of: "v2"},
		{Tag: "v3", Created: created.Add(2 * time.Hour)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"stable", "v1", "v2", "v3"}, list(t, repo)); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}

	// A tag delete removes the tag only.
	if err := del(repo + ":stable"); err != nil {
		t.Fatalf("deleting tag: %v", err)
	}
	if diff := cmp.Diff([]string{"v1", "v2", "v3"}, list(t, repo)); diff != "" {
		t.Errorf("after tag delete (-want +got):\n%s", diff)
	}
	// A digest delete removes every tag on it.
	if err := del(repo + "@" + got["v2"]); err != nil {
		t.Fatalf("deleting digest: %v", err)
	}
	if diff := cmp.Diff([]string{"v1", "v3"}, list(t, repo)); diff != "" {
		t.Errorf("after digest delete (-want +got):\n%s", diff)
	}

	// Garbage collection frees the deleted index's blobs, and the
	// registry serves again afterwards.
	before := reg.Blobs(t)
	reg.GarbageCollect(t, "--delete-untagged")
	if after := reg.Blobs(t); after >= before {
		t.Errorf("blobs after garbage-collect = %d, want fewer than %d", after, before)
	}
	if diff := cmp.Diff([]string{"v1", "v3"}, list(t, repo)); diff != "" {
		t.Errorf("after garbage-collect (-want +got):\n%s", diff)
	}
}

func TestDistributionDeleteDisabled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reg := registrytest.StartDistribution(t, registrytest.WithDeleteDisabled())
	repo := reg.Repo("app")
	img, err := seed.Image(created)
	if err != nil {
		t.Fatal(err)
	}
	dig, err := seed.Push(ctx, repo+":v1", img)
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{repo + ":v1", repo + "@" + dig} {
		err := del(ref)
		var terr *transport.Error
		if !errors.As(err, &terr) || terr.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("deleting %s: err = %v, want 405", ref, err)
		}
	}
}

func TestDistributionMaxTags(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reg := registrytest.StartDistribution(t, registrytest.WithMaxTags(2))
	repo := reg.Repo("app")
	entries := []seed.Entry{{Tag: "a", Created: created}}
	for _, tag := range []string{"b", "c", "d", "e"} {
		entries = append(entries, seed.Entry{Tag: tag, Kind: seed.KindAlias, Of: "a"})
	}
	if _, err := seed.History(ctx, repo, entries); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(reg.URL + "/v2/app/tags/list?n=100")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct{ Tags []string }
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "b"}, page.Tags); diff != "" {
		t.Errorf("first page (-want +got):\n%s", diff)
	}
	if link := resp.Header.Get("Link"); !strings.Contains(link, `rel="next"`) {
		t.Errorf("Link = %q, want a next page", link)
	}
	// ggcr follows the Link headers.
	if diff := cmp.Diff([]string{"a", "b", "c", "d", "e"}, list(t, repo)); diff != "" {
		t.Errorf("all pages (-want +got):\n%s", diff)
	}
}

func TestInMemory(t *testing.T) {
	t.Parallel()
	reg := registrytest.InMemory(t, true)
	img, err := seed.Image(created)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Push(context.Background(), reg.Repo("app")+":v1", img); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"v1"}, list(t, reg.Repo("app"))); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
}
