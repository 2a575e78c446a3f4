package registrytest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// TokenAuth fronts a registry with the Bearer token flow registries such
// as Docker Hub, GHCR and Harbor use: /v2/ answers 401 with a challenge,
// /token trades Basic credentials for a token, and every request must
// carry a valid token. It records the scopes clients ask for and the
// tokens it gave out, so tests can check what a client requested and
// that no credential leaked.
type TokenAuth struct {
	// Host is host:port for image references; URL the base URL.
	Host, URL string

	user, pass string
	mu         sync.Mutex
	scopes     []string
	tokens     map[string]bool
}

// NewTokenAuth starts the front in front of target, accepting only
// user:pass, and stops it when the test ends.
func NewTokenAuth(t testing.TB, target *Registry, user, pass string) *TokenAuth {
	t.Helper()
	u, err := url.Parse(target.URL)
	if err != nil {
		t.Fatalf("starting token auth: parsing %q: %v", target.URL, err)
	}
	a := &TokenAuth{user: user, pass: pass, tokens: map[string]bool{}}
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(u)
		r.Out.Host = r.In.Host
		r.Out.Header.Del("Authorization")
	}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			a.token(w, r)
			return
		}
		if !a.authorized(r) {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="%s/token",service="registrytest"`, a.URL))
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	a.URL = srv.URL
	a.Host = strings.TrimPrefix(srv.URL, "http://")
	return a
}

// Repo returns the full name of repository name behind the front.
func (a *TokenAuth) Repo(name string) string { return a.Host + "/" + name }

// Scopes returns every scope clients asked tokens for, in order.
func (a *TokenAuth) Scopes() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.scopes...)
}

// Tokens returns the tokens given out.
func (a *TokenAuth) Tokens() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for tok := range a.tokens {
		out = append(out, tok)
	}
	return out
}

func (a *TokenAuth) token(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok || user != a.user || pass != a.pass {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"errors":[{"code":"UNAUTHORIZED","message":"invalid credentials"}]}`)
		return
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	tok := "tok-" + hex.EncodeToString(b)
	a.mu.Lock()
	a.scopes = append(a.scopes, r.URL.Query()["scope"]...)
	a.tokens[tok] = true
	a.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"token": tok, "access_token": tok})
}

func (a *TokenAuth) authorized(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.tokens[tok]
}
