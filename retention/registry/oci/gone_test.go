package oci

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
)

// TestDistributionTagGoneWhenRead: a tag listed by tags/list whose
// manifest answers 404 when read (another run deleted it a moment before)
// is left out with a note; the other tags are listed, and the repository
// does not fail.
func TestDistributionTagGoneWhenRead(t *testing.T) {
	t.Parallel()
	reg := registrytest.StartDistribution(t)
	proxy := registrytest.NewProxy(t, reg)
	ctx := context.Background()
	d, err := seed.History(ctx, reg.Repo("gone"), []seed.Entry{{Tag: "a", Created: jan}, {Tag: "vanished", Created: feb}, {Tag: "b", Created: mar}})
	if err != nil {
		t.Fatal(err)
	}
	proxy.Inject(registrytest.Fault{
		Match:  func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/manifests/vanished") },
		Status: http.StatusNotFound,
		Body:   `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}`,
	})
	l, err := newClient(t, nil, fastRetry(0)).List(ctx, proxy.Repo("gone"), true, now)
	if err != nil {
		t.Fatalf("a tag gone between tags/list and its read failed the repository: %v", err)
	}
	var names []string
	for _, tag := range l.Tags {
		names = append(names, tag.Name)
		if tag.Digest != d[tag.Name] {
			t.Errorf("tag %s: digest %s, want %s", tag.Name, tag.Digest, d[tag.Name])
		}
	}
	if got := strings.Join(names, " "); got != "a b" {
		t.Errorf("tags %q, want %q", got, "a b")
	}
	if len(l.Notes) != 1 || !strings.Contains(l.Notes[0], "vanished") {
		t.Errorf("notes %q, want one naming the vanished tag", l.Notes)
	}
	// The note reaches the plan's repository.
	rp := retention.Decide(now, &retention.Rules{}, l)
	if len(rp.Notes) != 1 || rp.Notes[0] != l.Notes[0] {
		t.Errorf("plan notes %q, want the listing's %q", rp.Notes, l.Notes)
	}
}
