package emulator

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ghcrCall is one REST request, authenticated, with its owner resolved.
type ghcrCall struct {
	w       http.ResponseWriter
	r       *http.Request
	tok     ghcrToken
	owner   string
	org     bool
	byLogin bool // /users/{u} for someone other than the token's user
}

// restMux routes the Packages API for the three owner forms.
func (g *GHCR) restMux() http.Handler {
	mux := http.NewServeMux()
	for _, form := range []string{"/orgs/{owner}", "/users/{owner}", "/user"} {
		mux.HandleFunc("GET "+form+"/packages", g.rest(form, g.listPackages))
		mux.HandleFunc("GET "+form+"/packages/container/{name}", g.rest(form, g.getPackage))
		mux.HandleFunc("GET "+form+"/packages/container/{name}/versions", g.rest(form, g.listVersions))
		mux.HandleFunc("GET "+form+"/packages/container/{name}/versions/{id}", g.rest(form, g.getVersion))
		mux.HandleFunc("DELETE "+form+"/packages/container/{name}/versions/{id}", g.rest(form, g.deleteVersionCall))
		mux.HandleFunc("POST "+form+"/packages/container/{name}/versions/{id}/restore", g.rest(form, g.restoreVersionCall))
	}
	mux.HandleFunc("GET /user", g.rest("", g.getUser))
	mux.HandleFunc("GET /users/{owner}", g.rest("", g.getOwner))
	mux.HandleFunc("GET /orgs/{owner}", g.rest("", g.getOwner))
	return g.restFront(mux)
}

// restFront records, injects faults, paces and sets the rate headers.
func (g *GHCR) restFront(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &StatusRecorder{ResponseWriter: w, Status: http.StatusOK}
		defer g.record("rest", r, rec)
		g.runBefore("rest", r)
		tok := bearer(r)
		g.mu.Lock()
		left, ok := g.remaining[tok]
		if !ok {
			left = 5000
		}
		if left > 0 {
			left--
		}
		g.remaining[tok] = left
		g.mu.Unlock()
		h := rec.Header()
		h.Set("X-RateLimit-Limit", "5000")
		h.Set("X-RateLimit-Remaining", strconv.Itoa(left))
		h.Set("X-RateLimit-Used", strconv.Itoa(5000-left))
		h.Set("X-RateLimit-Reset", strconv.FormatInt(g.cfg.now().Add(time.Hour).Unix(), 10))
		h.Set("X-RateLimit-Resource", "core")
		if t, ok := g.cfg.tokens[tok]; ok && t.kind == TokenClassic {
			h.Set("X-OAuth-Scopes", strings.Join(t.scopes, ", "))
		}
		if f := g.fault("rest", r); f != nil {
			serveRESTFault(rec, f)
			return
		}
		if g.overPace(r) {
			rec.Header().Set("Retry-After", "60")
			writeGitHubError(rec, http.StatusForbidden, ghcrSecondaryMessage, ghcrSecondaryDoc)
			return
		}
		next.ServeHTTP(rec, r)
	})
}

// overPace counts the request's points against its endpoint.
func (g *GHCR) overPace(r *http.Request) bool {
	if g.cfg.pacing <= 0 {
		return false
	}
	cost := 1
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		cost = 5
	}
	// The endpoint is the route: version IDs do not make a new one.
	segs := strings.Split(r.URL.EscapedPath(), "/")
	for i, s := range segs {
		if _, err := strconv.ParseInt(s, 10, 64); err == nil {
			segs[i] = "{id}"
		}
	}
	endpoint := r.Method + " " + strings.Join(segs, "/")
	now := g.cfg.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	var recent []time.Time
	for _, t := range g.points[endpoint] {
		if now.Sub(t) < time.Minute {
			recent = append(recent, t)
		}
	}
	if (len(recent)+1)*cost > g.cfg.pacing {
		g.points[endpoint] = recent
		return true
	}
	g.points[endpoint] = append(recent, now)
	return false
}

func bearer(r *http.Request) string {
	a := r.Header.Get("Authorization")
	if t, ok := strings.CutPrefix(a, "Bearer "); ok {
		return t
	}
	t, _ := strings.CutPrefix(a, "token ")
	return t
}

// rest authenticates a call, resolves its owner for form (the owner
// must be of the form's kind), and refuses fine-grained tokens on
// package endpoints.
func (g *GHCR) rest(form string, h func(*ghcrCall)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c := &ghcrCall{w: w, r: r, tok: ghcrToken{login: "octocat", kind: TokenClassic, scopes: []string{"read:packages", "write:packages", "delete:packages"}}}
		if len(g.cfg.tokens) > 0 {
			t, ok := g.cfg.tokens[bearer(r)]
			if !ok {
				writeGitHubError(w, http.StatusUnauthorized, "Bad credentials", "https://docs.github.com/rest")
				return
			}
			c.tok = t
		}
		if form == "" {
			h(c)
			return
		}
		if c.tok.kind == TokenFineGrained {
			writeGitHubError(w, http.StatusForbidden, "Resource not accessible by personal access token", "https://docs.github.com/rest/packages/packages")
			return
		}
		c.owner = r.PathValue("owner")
		switch form {
		case "/orgs/{owner}":
			c.org = g.cfg.orgs[c.owner]
			if !c.org {
				writeGitHubError(w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest")
				return
			}
		case "/users/{owner}":
			if !g.cfg.users[c.owner] {
				writeGitHubError(w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest")
				return
			}
			c.byLogin = c.owner != c.tok.login
		case "/user":
			if c.tok.kind == TokenActions {
				writeGitHubError(w, http.StatusForbidden, "Resource not accessible by integration", "https://docs.github.com/rest/users/users")
				return
			}
			c.owner = c.tok.login
		}
		h(c)
	}
}

func (c *ghcrCall) json(status int, v any) {
	c.w.Header().Set("Content-Type", "application/json; charset=utf-8")
	c.w.WriteHeader(status)
	_ = json.NewEncoder(c.w).Encode(v)
}

func (c *ghcrCall) notFound() {
	writeGitHubError(c.w, http.StatusNotFound, "Package not found.", "https://docs.github.com/rest/packages/packages")
}

func (g *GHCR) getUser(c *ghcrCall) {
	if c.tok.kind == TokenActions {
		writeGitHubError(c.w, http.StatusForbidden, "Resource not accessible by integration", "https://docs.github.com/rest/users/users")
		return
	}
	c.json(http.StatusOK, map[string]any{"login": c.tok.login, "type": "User", "id": 1})
}

func (g *GHCR) getOwner(c *ghcrCall) {
	owner := c.r.PathValue("owner")
	isOrg := strings.HasPrefix(c.r.URL.Path, "/orgs/")
	switch {
	case g.cfg.orgs[owner]:
		c.json(http.StatusOK, map[string]any{"login": owner, "type": "Organization"})
	case g.cfg.users[owner] && !isOrg:
		c.json(http.StatusOK, map[string]any{"login": owner, "type": "User"})
	default:
		writeGitHubError(c.w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest")
	}
}
