package oci

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/internal/seed"
)

var (
	now  = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	jan  = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	feb  = time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)
	mar  = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	apr  = time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)
	may  = time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	zero = time.Unix(0, 0).UTC() // what reproducible builders write
)

// absent is a digest no registry holds.
func absent(s string) v1.Hash {
	sum := sha256.Sum256([]byte(s))
	return v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", sum)}
}

// seedRepo pushes a repository with every kind of creation-time source
// and attachment, and returns its full name and the tag digests.
func seedRepo(t *testing.T, host string) (string, map[string]string) {
	t.Helper()
	ctx := context.Background()
	repo := host + "/team/app"
	digests, err := seed.History(ctx, repo, []seed.Entry{
		{Tag: "annotated", Created: feb, Options: []seed.Option{seed.WithCreatedAnnotation(jan.Format(time.RFC3339))}},
		{Tag: "config", Created: feb},
		{Tag: "label", Created: zero, Options: []seed.Option{seed.WithCreatedLabel(mar.Format(time.RFC3339))}},
		{Tag: "repro", Created: zero},
		{Tag: "multi", Kind: seed.KindIndex, Created: apr, Options: []seed.Option{seed.WithAttestations()}},
		{Tag: "multi-annotated", Kind: seed.KindIndex, Created: apr, Options: []seed.Option{seed.WithCreatedAnnotation(may.Format(time.RFC3339))}},
		{Tag: "config-alias", Kind: seed.KindAlias, Of: "config"},
		{Kind: seed.KindSignature, Of: "config"},
	})
	if err != nil {
		t.Fatal(err)
	}
	// A signature whose subject is gone, and one whose subject exists
	// untagged.
	gone := absent("gone")
	sig, err := seed.Signature(gone, seed.WithSignedRepository(repo))
	if err != nil {
		t.Fatal(err)
	}
	if digests[seed.SignatureTag(gone)], err = seed.Push(ctx, repo+":"+seed.SignatureTag(gone), sig); err != nil {
		t.Fatal(err)
	}
	untagged, err := seed.Image(mar)
	if err != nil {
		t.Fatal(err)
	}
	ud, err := seed.PushByDigest(ctx, repo, untagged)
	if err != nil {
		t.Fatal(err)
	}
	uh, _ := v1.NewHash(ud)
	sig2, err := seed.Signature(uh)
	if err != nil {
		t.Fatal(err)
	}
	if digests[seed.SignatureTag(uh)], err = seed.Push(ctx, repo+":"+seed.SignatureTag(uh), sig2); err != nil {
		t.Fatal(err)
	}
	digests["untagged"] = ud
	digests["gone"] = gone.String()
	return repo, digests
}

func TestListInMemory(t *testing.T) {
	t.Parallel()
	reg := registrytest.InMemory(t, false)
	repo, digests := seedRepo(t, reg.Host)
	ctx := context.Background()

	for _, needTime := range []bool{true, false} {
		t.Run(fmt.Sprintf("needTime=%v", needTime), func(t *testing.T) {
			c, cnt := testClient(t)
			l, err := c.List(ctx, repo, needTime, now)
			if err != nil {
				t.Fatal(err)
			}
			// Every tag, resolved to the digest it was pushed to.
			gotTags := map[string]string{}
			for _, tag := range l.Tags {
				gotTags[tag.Name] = tag.Digest
			}
			wantTags := map[string]string{}
			for tag, d := range digests {
				if tag != "untagged" && tag != "gone" {
					wantTags[tag] = d
				}
			}
			if diff := cmp.Diff(wantTags, gotTags); diff != "" {
				t.Errorf("tags (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(map[string]bool{digests["gone"]: true}, l.Missing); diff != "" {
				t.Errorf("Missing (-want +got):\n%s", diff)
			}
			multi := l.Manifests[digests["multi"]]
			if !multi.IsIndex() || len(multi.Children) != 4 {
				t.Fatalf("multi = %+v, want an index of 2 images and 2 attestations", multi)
			}
			for _, ch := range multi.Children {
				if _, ok := l.Manifests[ch]; !ok {
					t.Errorf("child %s of multi not in Manifests", ch)
				}
			}

			type when struct {
				Created time.Time
				Source  string
			}
			got := map[string]when{}
			for _, tag := range []string{"annotated", "config", "label", "repro", "multi", "multi-annotated", "config-alias"} {
				m := l.Manifests[digests[tag]]
				got[tag] = when{m.Created, m.CreatedSource}
			}
			want := map[string]when{
				"annotated":       {jan, "annotation"},
				"config":          {feb, "config"},
				"label":           {mar, "config label"},
				"repro":           {},
				"multi":           {apr, "child " + multi.Children[0] + " config"},
				"multi-annotated": {may, "annotation"},
				"config-alias":    {feb, "config"},
			}
			if !needTime {
				want = map[string]when{}
				for tag := range got {
					want[tag] = when{}
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("creation times (-want +got):\n%s", diff)
			}

			// Request counts: one GET per tag, configs at most once per
			// distinct digest and none without needTime, one HEAD per
			// unknown subject, one ping per repository.
			counts := cnt.snapshot()
			if got, want := counts["GET manifest-by-tag"], len(l.Tags); got != want {
				t.Errorf("manifest GETs by tag = %d, want %d (one per tag)", got, want)
			}
			if got := counts["GET ping"]; got != 1 {
				t.Errorf("pings = %d, want 1", got)
			}
			if got := counts["HEAD manifest-by-digest"]; got != 2 {
				t.Errorf("subject HEADs = %d, want 2 (the untagged and the gone subject)", got)
			}
			// The gone subject's signature payload: it names this
			// repository, so the signature is an orphan.
			wantBlobs, wantChildren := 1, 0
			if needTime {
				// annotated, multi-annotated: none; config (+alias), label,
				// repro: one each; multi: its first child's config.
				wantBlobs, wantChildren = 1+4, 1
			}
			if got := counts["GET blob"]; got != wantBlobs {
				t.Errorf("blob GETs = %d, want %d (configs and the one payload of a signature whose subject is missing)", got, wantBlobs)
			}
			if got := counts["GET manifest-by-digest"]; got != wantChildren {
				t.Errorf("child manifest GETs = %d, want %d", got, wantChildren)
			}
			if t.Failed() {
				t.Logf("counts: %v", counts)
			}
		})
	}
}

func TestListErrors(t *testing.T) {
	t.Parallel()
	reg := registrytest.InMemory(t, false)
	c, _ := testClient(t)
	ctx := context.Background()

	_, err := c.List(ctx, reg.Repo("no/such/repo"), false, now)
	if !errors.Is(err, ErrRepositoryNotFound) || !strings.Contains(err.Error(), "no/such/repo") || !strings.Contains(err.Error(), "NAME_UNKNOWN") {
		t.Errorf("List of a missing repository: %v, want ErrRepositoryNotFound naming the repository and NAME_UNKNOWN", err)
	}

	_, err = c.List(ctx, "127.0.0.1:1/app", false, now)
	if !errors.Is(err, ErrUnreachable) {
		t.Errorf("List on a closed port: %v, want ErrUnreachable", err)
	}
}

// TestListNestedIndex: an index of indexes is read by digest once, its
// time comes from the first image found in order.
func TestListNestedIndex(t *testing.T) {
	t.Parallel()
	reg := registrytest.InMemory(t, false)
	ctx := context.Background()
	repo := reg.Repo("nested")
	inner, err := seed.Index(mar, nil)
	if err != nil {
		t.Fatal(err)
	}
	innerDesc, err := seed.Descriptor(inner)
	if err != nil {
		t.Fatal(err)
	}
	outer, err := seed.IndexOf(nil)
	if err != nil {
		t.Fatal(err)
	}
	outer = mutate.AppendManifests(outer, mutate.IndexAddendum{Add: inner})
	if _, err := seed.PushByDigest(ctx, repo, inner); err != nil {
		t.Fatal(err)
	}
	od, err := seed.Push(ctx, repo+":outer", outer)
	if err != nil {
		t.Fatal(err)
	}
	c, cnt := testClient(t)
	l, err := c.List(ctx, repo, true, now)
	if err != nil {
		t.Fatal(err)
	}
	o := l.Manifests[od]
	if diff := cmp.Diff([]string{innerDesc.Digest.String()}, o.Children); diff != "" {
		t.Fatalf("outer children (-want +got):\n%s", diff)
	}
	in, ok := l.Manifests[innerDesc.Digest.String()]
	if !ok || !in.IsIndex() || len(in.Children) != 2 {
		t.Fatalf("inner index = %+v, want read with 2 children", in)
	}
	wantSource := fmt.Sprintf("child %s child %s config", in.Digest, in.Children[0])
	if !o.Created.Equal(mar) || o.CreatedSource != wantSource {
		t.Errorf("outer created %s from %q, want %s from %q", o.Created, o.CreatedSource, mar, wantSource)
	}
	// The inner index once (nesting), its first child once (time).
	if got := cnt.get("GET manifest-by-digest"); got != 2 {
		t.Errorf("manifest GETs by digest = %d, want 2", got)
	}
}
