package oci

import (
	"context"
	"errors"
	"io"
	"log"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// countingLogin is a cloud login that counts how often it is asked.
type countingLogin struct {
	calls atomic.Int64
	err   error
}

func (c *countingLogin) Resolve(authn.Resource) (authn.Authenticator, error) {
	c.calls.Add(1)
	if c.err != nil {
		return nil, c.err
	}
	return authn.FromConfig(authn.AuthConfig{Username: "cloud", Password: "token"}), nil
}

// TestCachedKeychain: a cloud login is asked once per host for the TTL,
// by many callers at once too; after the TTL it is asked again; an error
// is not kept.
func TestCachedKeychain(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	login := &countingLogin{}
	kc := newCachedKeychain(login, time.Minute, clock)
	resolve := func(host string) {
		t.Helper()
		reg, err := name.NewRegistry(host)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := kc.ResolveContext(context.Background(), reg); err != nil {
			t.Error(err)
		}
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { resolve("a.azurecr.io") })
	}
	wg.Wait()
	resolve("A.azurecr.io")
	if n := login.calls.Load(); n != 1 {
		t.Fatalf("20 callers for one host: the login was asked %d times, want 1", n)
	}
	resolve("b.azurecr.io")
	if n := login.calls.Load(); n != 2 {
		t.Fatalf("a second host: %d calls, want 2", n)
	}
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	resolve("a.azurecr.io")
	if n := login.calls.Load(); n != 3 {
		t.Fatalf("after the TTL: %d calls, want 3", n)
	}

	failing := &countingLogin{err: errors.New("metadata server unreachable")}
	fkc := newCachedKeychain(failing, time.Minute, clock)
	reg, _ := name.NewRegistry("c.azurecr.io")
	for range 2 {
		if _, err := fkc.ResolveContext(context.Background(), reg); err == nil {
			t.Fatal("a failing login's error was lost")
		}
	}
	if n := failing.calls.Load(); n != 2 {
		t.Fatalf("a failing login was asked %d times for two resolves, want 2 (errors are not kept)", n)
	}
}

// TestCloudLoginAskedOncePerHost: listing ten repositories of one
// registry asks its cloud login once, not once per repository.
func TestCloudLoginAskedOncePerHost(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir()) // no docker login state
	t.Setenv("GITHUB_TOKEN", "")
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	var repos []string
	for i := range 10 {
		img, err := random.Image(64, 1)
		if err != nil {
			t.Fatal(err)
		}
		repo := host + "/team/app" + string(rune('a'+i))
		ref, err := name.ParseReference(repo + ":v1")
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(ref, img); err != nil {
			t.Fatal(err)
		}
		repos = append(repos, repo)
	}
	login := &countingLogin{}
	clouds := []cloudLogin{{name: "test", match: func(h string) bool { return h == host }, open: func(*slog.Logger) authn.Keychain { return login }}}
	c := newClient(t, nil, WithKeychain(keychainOf(clouds, slog.New(slog.DiscardHandler))))
	for _, repo := range repos {
		if _, err := c.List(context.Background(), repo, true, time.Now()); err != nil {
			t.Fatalf("%s: %v", repo, err)
		}
	}
	if n := login.calls.Load(); n != 1 {
		t.Errorf("10 repositories of one registry: the cloud login was asked %d times, want 1", n)
	}
}
