package emulator

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"
)

// ghcrPage is the page asked for: per_page (default 30, at most 100)
// and page (from 1).
func ghcrPage(q url.Values) (page, perPage int) {
	page, perPage = 1, 30
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 0 {
		page = n
	}
	if n, err := strconv.Atoi(q.Get("per_page")); err == nil && n > 0 {
		perPage = min(n, 100)
	}
	return page, perPage
}

// paginate returns the page's slice bounds of n items and sets Link.
func (g *GHCR) paginate(c *ghcrCall, n int) (lo, hi int) {
	page, per := ghcrPage(c.r.URL.Query())
	last := max(1, (n+per-1)/per)
	link := func(p int, rel string) string {
		q := c.r.URL.Query()
		q.Set("page", strconv.Itoa(p))
		q.Set("per_page", strconv.Itoa(per))
		return fmt.Sprintf(`<%s%s?%s>; rel="%s"`, g.APIURL, c.r.URL.EscapedPath(), q.Encode(), rel)
	}
	var links []string
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"), link(min(page-1, last), "prev"))
	}
	if len(links) > 0 {
		v := links[0]
		for _, l := range links[1:] {
			v += ", " + l
		}
		c.w.Header().Set("Link", v)
	}
	lo = min((page-1)*per, n)
	return lo, min(lo+per, n)
}

func (g *GHCR) listPackages(c *ghcrCall) {
	q := c.r.URL.Query()
	switch {
	case q.Get("package_type") == "":
		writeGitHubError(c.w, http.StatusBadRequest, "package_type is required", "https://docs.github.com/rest/packages/packages")
		return
	case c.tok.kind == TokenActions:
		writeGitHubError(c.w, http.StatusForbidden, "Resource not accessible by integration", "https://docs.github.com/rest/packages/packages")
		return
	case !c.tok.has("read:packages"):
		writeGitHubError(c.w, http.StatusForbidden, "You need at least read:packages scope to list packages.", "https://docs.github.com/rest/packages/packages")
		return
	}
	if page, per := ghcrPage(q); c.org && page*per > 10000 {
		writeGitHubError(c.w, http.StatusBadRequest, "The value of `per_page` multiplied by `page` cannot be greater than 10000.", "https://docs.github.com/rest/packages/packages")
		return
	}
	out := []map[string]any{}
	g.mu.Lock()
	var names []string
	for _, p := range g.pkgs {
		if p.owner == c.owner && q.Get("package_type") == "container" && (q.Get("visibility") == "" || q.Get("visibility") == p.visibility) && (!c.byLogin || p.visibility == "public") {
			names = append(names, p.name)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		out = append(out, g.packageJSON(g.pkgs[c.owner+"/"+n]))
	}
	g.mu.Unlock()
	lo, hi := g.paginate(c, len(out))
	c.json(http.StatusOK, out[lo:hi])
}

// pkg returns the package the call names, or answers 404 itself: an
// unknown package, a token that may not read, or another user's
// private package.
func (g *GHCR) pkg(c *ghcrCall) *ghcrPackage {
	p := g.pkgs[c.owner+"/"+c.r.PathValue("name")]
	if p == nil || (c.tok.kind == TokenClassic && !c.tok.has("read:packages")) || (c.byLogin && p.visibility != "public") {
		c.notFound()
		return nil
	}
	return p
}

func (g *GHCR) getPackage(c *ghcrCall) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if p := g.pkg(c); p != nil {
		c.json(http.StatusOK, g.packageJSON(p))
	}
}

func (g *GHCR) packageJSON(p *ghcrPackage) map[string]any {
	n := 0
	for _, v := range p.versions {
		if v.deleted.IsZero() {
			n++
		}
	}
	kind := "User"
	if g.cfg.orgs[p.owner] {
		kind = "Organization"
	}
	return map[string]any{
		"id": p.id, "name": p.name, "package_type": "container", "visibility": p.visibility,
		"url":           fmt.Sprintf("%s/%s/packages/container/%s", g.APIURL, g.ownerPath(p.owner), url.PathEscape(p.name)),
		"html_url":      fmt.Sprintf("https://github.com/%s/packages/container/package/%s", p.owner, url.PathEscape(p.name)),
		"version_count": n, "created_at": p.created.Format(time.RFC3339), "updated_at": p.created.Format(time.RFC3339),
		"owner": map[string]any{"login": p.owner, "type": kind},
	}
}

func (g *GHCR) ownerPath(owner string) string {
	if g.cfg.orgs[owner] {
		return "orgs/" + owner
	}
	return "users/" + owner
}

func (g *GHCR) versionJSON(p *ghcrPackage, v *ghcrVersion) map[string]any {
	u := fmt.Sprintf("%s/%s/packages/container/%s/versions/%d", g.APIURL, g.ownerPath(p.owner), url.PathEscape(p.name), v.id)
	out := map[string]any{
		"id": v.id, "name": v.digest, "url": u,
		"package_html_url": fmt.Sprintf("https://github.com/%s/packages/container/package/%s", p.owner, url.PathEscape(p.name)),
		"html_url":         fmt.Sprintf("https://github.com/%s/packages/container/%s/%d", p.owner, url.PathEscape(p.name), v.id),
		"created_at":       v.created.Format(time.RFC3339), "updated_at": v.updated.Format(time.RFC3339),
		"metadata": map[string]any{"package_type": "container", "container": map[string]any{"tags": append([]string{}, v.tags...)}},
	}
	if !v.deleted.IsZero() {
		out["deleted_at"] = v.deleted.Format(time.RFC3339)
	}
	return out
}

func (g *GHCR) listVersions(c *ghcrCall) {
	g.mu.Lock()
	p := g.pkg(c)
	if p == nil {
		g.mu.Unlock()
		return
	}
	deleted := c.r.URL.Query().Get("state") == "deleted"
	var match []*ghcrVersion
	for i := len(p.versions) - 1; i >= 0; i-- { // newest first
		if v := p.versions[i]; v.deleted.IsZero() != deleted {
			match = append(match, v)
		}
	}
	lo, hi := g.paginate(c, len(match))
	out := make([]map[string]any, 0, hi-lo)
	for _, v := range match[lo:hi] {
		out = append(out, g.versionJSON(p, v))
	}
	g.mu.Unlock()
	c.json(http.StatusOK, out)
}

// version returns the version the call names, or answers 404 itself.
func (g *GHCR) version(c *ghcrCall) (*ghcrPackage, int64) {
	p := g.pkg(c)
	if p == nil {
		return nil, 0
	}
	id, err := strconv.ParseInt(c.r.PathValue("id"), 10, 64)
	if err != nil {
		writeGitHubError(c.w, http.StatusBadRequest, "The version_id parameter must be an integer", "https://docs.github.com/rest/packages/packages")
		return nil, 0
	}
	return p, id
}

func (g *GHCR) getVersion(c *ghcrCall) {
	g.mu.Lock()
	defer g.mu.Unlock()
	p, id := g.version(c)
	if p == nil {
		return
	}
	for _, v := range p.versions {
		if v.id == id && v.deleted.IsZero() {
			c.json(http.StatusOK, g.versionJSON(p, v))
			return
		}
	}
	c.notFound()
}

func (g *GHCR) deleteVersionCall(c *ghcrCall) {
	g.mu.Lock()
	defer g.mu.Unlock()
	p, id := g.version(c)
	switch {
	case p == nil:
		return
	case c.tok.kind == TokenActions && !c.org:
		writeGitHubError(c.w, http.StatusForbidden, "Resource not accessible by integration", "https://docs.github.com/rest/packages/packages")
		return
	case c.tok.kind == TokenClassic && !c.tok.has("delete:packages"):
		c.notFound() // GitHub's answer to a token without the scope
		return
	}
	status, msg := g.deleteVersion(p, id)
	if status != http.StatusNoContent {
		writeGitHubError(c.w, status, msg, "https://docs.github.com/rest/packages/packages#delete-a-package-version-for-an-organization")
		return
	}
	c.w.WriteHeader(http.StatusNoContent)
}

func (g *GHCR) restoreVersionCall(c *ghcrCall) {
	g.mu.Lock()
	defer g.mu.Unlock()
	p, id := g.version(c)
	switch {
	case p == nil:
		return
	case c.tok.kind == TokenClassic && !c.tok.has("write:packages"):
		c.notFound()
		return
	}
	if status, msg := g.restoreVersion(p, id); status != http.StatusNoContent {
		writeGitHubError(c.w, status, msg, "https://docs.github.com/rest/packages/packages")
		return
	}
	c.w.WriteHeader(http.StatusNoContent)
}
