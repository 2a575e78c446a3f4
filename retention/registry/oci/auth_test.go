package oci

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"

	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
)

// bearerRegistry is ggcr's in-memory registry behind a Bearer challenge
// with a token endpoint on the same host (no real test registry does
// token auth). It counts pings and token requests, and records the scopes
// and Basic users the tokens were asked with.
type bearerRegistry struct {
	host          string
	pings, tokens atomic.Int32
	scopes, users chan string
}

func newBearerRegistry(t *testing.T) *bearerRegistry {
	t.Helper()
	b := &bearerRegistry{scopes: make(chan string, 100), users: make(chan string, 100)}
	inner := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/token":
			b.tokens.Add(1)
			b.scopes <- r.URL.Query().Get("scope")
			user, _, _ := r.BasicAuth()
			b.users <- user
			json.NewEncoder(w).Encode(map[string]string{"token": "secret-token"})
			return
		case r.URL.Path == "/v2/":
			b.pings.Add(1)
		}
		if r.Header.Get("Authorization") != "Bearer secret-token" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="http://`+r.Host+`/token",service="test"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	b.host = strings.TrimPrefix(srv.URL, "http://")
	return b
}

func TestAuthOncePerRepository(t *testing.T) {
	t.Parallel()
	b := newBearerRegistry(t)
	ctx := context.Background()
	for _, name := range []string{"one", "two"} {
		if _, err := seed.History(ctx, b.host+"/"+name, []seed.Entry{
			{Tag: "a", Created: jan}, {Tag: "b", Created: feb}, {Tag: "c", Created: mar},
		}); err != nil {
			t.Fatal(err)
		}
	}
	b.pings.Store(0)
	b.tokens.Store(0)
	drain(b.scopes)
	drain(b.users)

	c := newClient(t, []retention.Registry{{Host: b.host, Username: "robot", Password: "pw"}})
	for _, name := range []string{"one", "two"} {
		if _, err := c.List(ctx, b.host+"/"+name, true, now); err != nil {
			t.Fatal(err)
		}
		if _, err := c.HeadTag(ctx, b.host+"/"+name, "a"); err != nil {
			t.Fatal(err)
		}
	}
	if p, tok := b.pings.Load(), b.tokens.Load(); p != 2 || tok != 2 {
		t.Errorf("pings, tokens = %d, %d; want 2, 2 (one handshake per repository)", p, tok)
	}
	got := []string{<-b.scopes, <-b.scopes, <-b.users}
	want := []string{"repository:one:pull", "repository:two:pull", "robot"}
	if got[0] > got[1] {
		got[0], got[1] = got[1], got[0]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("token scopes and user (-want +got):\n%s", diff)
	}

	// WithDeleteScope asks for delete.
	drain(b.scopes)
	if _, err := newClient(t, nil, WithDeleteScope()).ListTags(ctx, b.host+"/one"); err != nil {
		t.Fatal(err)
	}
	if got := <-b.scopes; got != "repository:one:push,pull,delete" {
		t.Errorf("scope with WithDeleteScope = %q", got)
	}
}

func drain(c chan string) {
	for {
		select {
		case <-c:
		default:
			return
		}
	}
}

// TestErrorsNamed: the registry's refusal is classified and keeps its code.
func TestErrorsNamed(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}`))
	}))
	t.Cleanup(srv.Close)
	repo := strings.TrimPrefix(srv.URL, "http://") + "/private/app"
	_, err := newClient(t, nil).List(context.Background(), repo, false, now)
	if !errors.Is(err, ErrDenied) || !strings.Contains(err.Error(), "DENIED") || !strings.Contains(err.Error(), repo) {
		t.Errorf("List on a 403: %v, want ErrDenied naming DENIED and the repository", err)
	}
}

func TestReferrers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, supported := range []bool{true, false} {
		srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.WithReferrersSupport(supported), ggcrregistry.Logger(log.New(io.Discard, "", 0))))
		t.Cleanup(srv.Close)
		repo := strings.TrimPrefix(srv.URL, "http://") + "/app"
		d, err := seed.History(ctx, repo, []seed.Entry{
			{Tag: "v1", Created: jan},
			{Tag: "sbom", Kind: seed.KindReferrer, Of: "v1"},
		})
		if err != nil {
			t.Fatal(err)
		}
		got, ok, err := newClient(t, nil).Referrers(ctx, repo, d["v1"])
		if err != nil || ok != supported {
			t.Fatalf("Referrers (registry supports: %v) = %v, %v, %v", supported, got, ok, err)
		}
		var digests []string
		for _, desc := range got {
			digests = append(digests, desc.Digest.String())
		}
		var want []string
		if supported {
			want = []string{d["sbom"]}
		}
		if diff := cmp.Diff(want, digests); diff != "" {
			t.Errorf("referrers (-want +got):\n%s", diff)
		}
	}
}
