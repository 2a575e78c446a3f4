package emulator

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

type ghcrPackage struct {
	id          int64
	owner, name string
	visibility  string
	created     time.Time
	versions    []*ghcrVersion
}

type ghcrVersion struct {
	id                        int64
	digest                    string
	tags                      []string
	created, updated, deleted time.Time
	downloads                 int
}

// active returns the active version of package key with digest, or nil.
// The caller holds g.mu.
func (g *GHCR) active(key, digest string) *ghcrVersion {
	p := g.pkgs[key]
	if p == nil {
		return nil
	}
	for _, v := range p.versions {
		if v.digest == digest && v.deleted.IsZero() {
			return v
		}
	}
	return nil
}

// pushed records a manifest pushed to owner/name under ref (a tag or its
// digest): a new version for a new digest, and a tag moved onto it.
func (g *GHCR) pushed(owner, name, ref, digest string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	key := owner + "/" + name
	now := g.cfg.now().UTC()
	p := g.pkgs[key]
	if p == nil {
		g.nextID++
		p = &ghcrPackage{id: g.nextID, owner: owner, name: name, visibility: "private", created: now}
		g.pkgs[key] = p
	}
	v := g.active(key, digest)
	if v == nil {
		g.nextID++
		v = &ghcrVersion{id: g.nextID, digest: digest, tags: []string{}, created: now, updated: now}
		p.versions = append(p.versions, v)
	}
	if strings.HasPrefix(ref, "sha256:") {
		return
	}
	for _, o := range p.versions {
		o.tags = without(o.tags, ref)
	}
	v.tags = append(v.tags, ref)
	sort.Strings(v.tags)
	v.updated = now
}

func without(ts []string, t string) []string {
	out := ts[:0]
	for _, x := range ts {
		if x != t {
			out = append(out, x)
		}
	}
	return out
}

// tagged returns the digest a tag of package key points at, or "".
func (g *GHCR) tagged(key, tag string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if p := g.pkgs[key]; p != nil {
		for _, v := range p.versions {
			if v.deleted.IsZero() && contains(v.tags, tag) {
				return v.digest
			}
		}
	}
	return ""
}

func contains(ts []string, t string) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

// activeTags lists the active tags of package key, sorted.
func (g *GHCR) activeTags(key string) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	tags := []string{}
	if p := g.pkgs[key]; p != nil {
		for _, v := range p.versions {
			if v.deleted.IsZero() {
				tags = append(tags, v.tags...)
			}
		}
	}
	sort.Strings(tags)
	return tags
}

// deleteVersion deletes version id of p as GitHub does, or says why not
// with the status and message GitHub answers. The caller holds g.mu.
func (g *GHCR) deleteVersion(p *ghcrPackage, id int64) (int, string) {
	var v *ghcrVersion
	otherTagged := false
	for _, x := range p.versions {
		switch {
		case x.id == id && x.deleted.IsZero():
			v = x
		case x.deleted.IsZero() && len(x.tags) > 0:
			otherTagged = true
		}
	}
	switch {
	case v == nil:
		return http.StatusNotFound, "Package not found."
	case len(v.tags) > 0 && !otherTagged:
		return http.StatusBadRequest, "You cannot delete the last tagged version of a package. You must delete the package instead."
	case p.visibility == "public" && v.downloads > 5000:
		return http.StatusBadRequest, "Publicly visible package versions with more than 5000 downloads cannot be deleted. Contact GitHub support for further assistance."
	}
	v.deleted = g.cfg.now().UTC()
	v.tags = []string{}
	return http.StatusNoContent, ""
}

// restoreVersion restores a version deleted within 30 days, without its
// tags. The caller holds g.mu.
func (g *GHCR) restoreVersion(p *ghcrPackage, id int64) (int, string) {
	for _, v := range p.versions {
		if v.id != id || v.deleted.IsZero() {
			continue
		}
		if g.cfg.now().Sub(v.deleted) > 30*24*time.Hour {
			return http.StatusNotFound, "Package not found."
		}
		if g.active(p.owner+"/"+p.name, v.digest) != nil {
			return http.StatusBadRequest, "The version is in use by another version."
		}
		v.deleted = time.Time{}
		return http.StatusNoContent, ""
	}
	return http.StatusNotFound, "Package not found."
}

// GHCRFault makes the next matching requests fail.
type GHCRFault struct {
	// Method and PathContains select requests; "" matches any.
	Method, PathContains string
	// Side is "rest" (default) or "oci".
	Side   string
	Status int
	// RetryAfter, in seconds, sets retry-after when positive.
	RetryAfter int
	// RemainingZero sets x-ratelimit-remaining: 0 and x-ratelimit-reset
	// to ResetAt: the primary limit.
	RemainingZero bool
	ResetAt       time.Time
	// Secondary answers with the secondary rate limit's message.
	Secondary bool
	// Count is how many requests fail; 0 means 1.
	Count int
}

// FailNext queues a fault.
func (g *GHCR) FailNext(f GHCRFault) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if f.Side == "" {
		f.Side = "rest"
	}
	if f.Count <= 0 {
		f.Count = 1
	}
	g.faults = append(g.faults, f)
}

// fault takes the first queued fault matching r, if any.
func (g *GHCR) fault(side string, r *http.Request) *GHCRFault {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := range g.faults {
		f := &g.faults[i]
		if f.Side != side || f.Method != "" && f.Method != r.Method || !strings.Contains(r.URL.EscapedPath(), f.PathContains) {
			continue
		}
		out := *f
		if f.Count--; f.Count == 0 {
			g.faults = append(g.faults[:i], g.faults[i+1:]...)
		}
		return &out
	}
	return nil
}

// serveRESTFault answers a REST request with fault f.
func serveRESTFault(w http.ResponseWriter, f *GHCRFault) {
	msg, doc := "Server Error", "https://docs.github.com/rest"
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
	}
	switch {
	case f.RemainingZero:
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(f.ResetAt.Unix(), 10))
		msg = "API rate limit exceeded for user ID 1."
		doc = "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-primary-rate-limits"
	case f.Secondary:
		msg, doc = ghcrSecondaryMessage, ghcrSecondaryDoc
	}
	writeGitHubError(w, f.Status, msg, doc)
}

const (
	ghcrSecondaryMessage = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
	ghcrSecondaryDoc     = "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)

func writeGitHubError(w http.ResponseWriter, status int, msg, doc string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"message":%q,"documentation_url":%q}`, msg, doc)
}
