package emulator

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// serveOCI is the registry side: the token endpoint, the bearer check,
// and the GHCR behaviour over the in-memory registry.
func (g *GHCR) serveOCI(w http.ResponseWriter, r *http.Request) {
	rec := &StatusRecorder{ResponseWriter: w, Status: http.StatusOK}
	defer g.record("oci", r, rec)
	g.runBefore("oci", r)
	if f := g.fault("oci", r); f != nil {
		rec.Header().Set("Content-Type", "application/json")
		rec.WriteHeader(f.Status)
		fmt.Fprintf(rec, `{"errors":[{"code":%q,"message":"injected fault"}]}`, ErrorCode(f.Status))
		return
	}
	if r.URL.Path == "/token" {
		g.ociToken(rec, r)
		return
	}
	if !g.ociAuthorized(r) {
		rec.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="%s/token",service="ghcr-emulator"`, g.URL))
		ociError(rec, http.StatusUnauthorized, "UNAUTHORIZED", "authentication required")
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/v2/")
	switch {
	case r.URL.Path == "/v2/" || r.URL.Path == "/v2":
		rec.WriteHeader(http.StatusOK)
	case path == "_catalog" || strings.Contains(path, "/referrers/"):
		ociError(rec, http.StatusNotFound, "NOT_FOUND", "404 page not found")
	case r.Method == http.MethodDelete:
		ociError(rec, http.StatusMethodNotAllowed, "UNSUPPORTED", "The operation is unsupported.")
	case strings.HasSuffix(path, "/tags/list"):
		g.ociTags(rec, strings.TrimSuffix(path, "/tags/list"))
	case strings.Contains(path, "/manifests/"):
		g.ociManifest(rec, r, path)
	default:
		g.inner.ServeHTTP(rec, r)
	}
}

func ociError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"errors":[{"code":%q,"message":%q}]}`, code, msg)
}

// ociManifest serves manifests from the versions' view: a tag or digest
// of a deleted version is unknown; a PUT makes or retags a version.
func (g *GHCR) ociManifest(w *StatusRecorder, r *http.Request, path string) {
	repo, ref, _ := strings.Cut(path, "/manifests/")
	owner, name, ok := strings.Cut(repo, "/")
	if !ok {
		ociError(w, http.StatusNotFound, "NAME_UNKNOWN", "repository name not known to registry")
		return
	}
	if r.Method == http.MethodPut {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			ociError(w, http.StatusBadRequest, "MANIFEST_INVALID", err.Error())
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		g.inner.ServeHTTP(w, r)
		if w.Status == http.StatusCreated {
			g.pushed(owner, name, ref, fmt.Sprintf("sha256:%x", sha256.Sum256(body)))
		}
		return
	}
	known := false
	if strings.HasPrefix(ref, "sha256:") {
		g.mu.Lock()
		known = g.active(repo, ref) != nil
		g.mu.Unlock()
	} else {
		known = g.tagged(repo, ref) != ""
	}
	if !known {
		ociError(w, http.StatusNotFound, "MANIFEST_UNKNOWN", "manifest unknown")
		return
	}
	g.inner.ServeHTTP(w, r)
}

// ociTags lists the active tags, all on one page.
func (g *GHCR) ociTags(w http.ResponseWriter, repo string) {
	g.mu.Lock()
	_, ok := g.pkgs[repo]
	g.mu.Unlock()
	if !ok {
		ociError(w, http.StatusNotFound, "NAME_UNKNOWN", "repository name not known to registry")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"name": repo, "tags": g.activeTags(repo)})
}

// ociToken trades Basic credentials (any user, a configured token as the
// password) for a bearer token.
func (g *GHCR) ociToken(w http.ResponseWriter, r *http.Request) {
	if len(g.cfg.tokens) > 0 {
		_, pass, ok := r.BasicAuth()
		if _, known := g.cfg.tokens[pass]; !ok || !known {
			ociError(w, http.StatusUnauthorized, "UNAUTHORIZED", "authentication required")
			return
		}
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	tok := "ghcr-" + hex.EncodeToString(b)
	g.mu.Lock()
	g.issued[tok] = true
	g.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"token": tok, "access_token": tok})
}

func (g *GHCR) ociAuthorized(r *http.Request) bool {
	if len(g.cfg.tokens) == 0 {
		return true
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	g.mu.Lock()
	defer g.mu.Unlock()
	return ok && g.issued[tok]
}

// record notes a request once it is answered.
func (g *GHCR) record(side string, r *http.Request, rec *StatusRecorder) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.reqs = append(g.reqs, GHCRRequest{Side: side, Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, Status: rec.Status, Authorization: r.Header.Get("Authorization")})
}
