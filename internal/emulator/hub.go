package emulator

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

// Hub emulates Docker Hub from its documented behaviour and what real
// clients send and receive (research: provider-apis.md part B): a
// registry side over go-containerregistry's in-memory registry that
// refuses tag deletion (405 "Only digest-based deletion is allowed") and
// the deletion of a digest a tag still points at (403), and the Hub API:
// tokens (/v2/auth/token, the deprecated /v2/users/login), the tag list
// in its documented and legacy path forms with absolute next URLs, the
// (undocumented) tag DELETE, the repositories of a namespace, and the
// images list, which answers 403 as on a free plan unless WithHubPlan
// says otherwise. Every tag keeps its push and pull times.
type Hub struct {
	// Host and URL are the registry's, APIURL the Hub API's base; Close
	// and Repo (namespace, name).
	twoSided

	cfg     hubConfig
	inner   http.Handler
	mu      sync.Mutex
	repos   map[string]map[string]*HubTag   // "ns/repo" -> tag -> state
	digests map[string]map[string]time.Time // "ns/repo" -> manifest digest -> pushed
	tokens  map[string]time.Time            // issued JWT -> expiry
	faults  []*HubFault
	reqs    []HubRequest
	counter int
	pulls   int // manifest GETs so far, against the pull limit
}

// HubTag is one tag as the emulator holds it.
type HubTag struct {
	Name, Digest, MediaType string
	// Images are the digests the tag list gives in images[]: an index's
	// platform manifests, or the image itself.
	Images         []string
	Pushed, Pulled time.Time // zero Pulled: never pulled
}

// HubRequest is one request served.
type HubRequest struct {
	// Side is "api" or "registry".
	Side, Method, Path, RawQuery string
	Status                       int
}

// HubFault makes the next matching requests fail.
type HubFault struct {
	// Side is "api" (default) or "registry".
	Side                 string
	Method, PathContains string
	Status               int
	// RetryAfter (seconds) sets Retry-After; XRetryAfter sets the older
	// deployments' X-Retry-After, a unix time.
	RetryAfter  int
	XRetryAfter time.Time
	Count       int
	used        int
}

type hubConfig struct {
	user, secret string
	pro          bool
	now          func() time.Time
	tokenTTL     time.Duration
	pulls        int // the pull limit; 0: none
	legacyOnly   bool
}

// HubOption configures the emulator.
type HubOption func(*hubConfig)

// WithHubAccount sets the account and its secret (a password or an
// access token); default "acme" and "dckr_pat_test".
func WithHubAccount(user, secret string) HubOption {
	return func(c *hubConfig) { c.user, c.secret = user, secret }
}

// WithHubPlan("pro") makes the images list answer; default free (403).
func WithHubPlan(plan string) HubOption {
	return func(c *hubConfig) { c.pro = plan == "pro" || plan == "team" }
}

// WithHubClock sets the clock of push and pull times and token expiry.
func WithHubClock(now func() time.Time) HubOption { return func(c *hubConfig) { c.now = now } }

// WithHubTokenTTL sets how long an API token lasts; default 10 minutes.
func WithHubTokenTTL(d time.Duration) HubOption { return func(c *hubConfig) { c.tokenTTL = d } }

// WithHubPullLimit gives the registry side a pull limit of n manifest
// GETs: every answer carries RateLimit-Limit and RateLimit-Remaining (a
// HEAD does not count), and a GET over the limit is 429 TOOMANYREQUESTS.
func WithHubPullLimit(n int) HubOption { return func(c *hubConfig) { c.pulls = n } }

// WithHubLegacyLogin makes /v2/auth/token answer 404, as a deployment
// without it would: only the deprecated /v2/users/login logs in.
func WithHubLegacyLogin() HubOption { return func(c *hubConfig) { c.legacyOnly = true } }

// StartHub starts the emulator on loopback; the caller closes it.
func StartHub(opts ...HubOption) *Hub {
	cfg := hubConfig{user: "acme", secret: "dckr_pat_test", now: time.Now, tokenTTL: 10 * time.Minute}
	for _, o := range opts {
		o(&cfg)
	}
	h := &Hub{cfg: cfg, inner: registry.New(registry.Logger(log.New(io.Discard, "", 0))),
		repos: map[string]map[string]*HubTag{}, digests: map[string]map[string]time.Time{}, tokens: map[string]time.Time{}}
	h.start(http.HandlerFunc(h.serveRegistry), h.apiMux())
	return h
}

// Tags returns the tags of ns/name, by name.
func (h *Hub) Tags(ns, name string) map[string]HubTag {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]HubTag{}
	for n, t := range h.repos[ns+"/"+name] {
		out[n] = *t
	}
	return out
}

// SetTimes sets a tag's push and pull times (zero pulled: never).
func (h *Hub) SetTimes(ns, name, tag string, pushed, pulled time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if t := h.repos[ns+"/"+name][tag]; t != nil {
		t.Pushed, t.Pulled = pushed, pulled
	}
}

// UsePulls counts n pulls against the pull limit, as other clients of
// the account pulling would.
func (h *Hub) UsePulls(n int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pulls += n
}

// Pulls returns the manifest GETs counted against the pull limit so far
// (with WithHubPullLimit; none are counted without one).
func (h *Hub) Pulls() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.pulls
}

// FailNext injects an API fault.
func (h *Hub) FailNext(f HubFault) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.faults = append(h.faults, &f)
}

// Requests returns every request served, in order.
func (h *Hub) Requests() []HubRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]HubRequest(nil), h.reqs...)
}

func (h *Hub) record(side string, r *http.Request, status int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reqs = append(h.reqs, HubRequest{Side: side, Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Status: status})
}

// serveRegistry is the OCI side: pushes and pulls record the tags'
// times; DELETE follows Docker Hub's rules.
func (h *Hub) serveRegistry(w http.ResponseWriter, r *http.Request) {
	rec := &StatusRecorder{ResponseWriter: w, Status: http.StatusOK}
	defer func() { h.record("registry", r, rec.Status) }()
	if f := h.fault("registry", r); f != nil {
		if f.RetryAfter > 0 {
			rec.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
		}
		ociError(rec, f.Status, ErrorCode(f.Status), "injected fault")
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/v2/")
	repo, ref, isManifest := strings.Cut(path, "/manifests/")
	if isManifest && !h.pullAllowed(rec, r) {
		return
	}
	switch {
	case !isManifest:
		h.inner.ServeHTTP(rec, r)
	case r.Method == http.MethodDelete && !strings.HasPrefix(ref, "sha256:"):
		ociError(rec, http.StatusMethodNotAllowed, "UNSUPPORTED", "Only digest-based deletion is allowed")
	case r.Method == http.MethodDelete:
		if tags := h.tagsOn(repo, ref); len(tags) > 0 {
			ociError(rec, http.StatusForbidden, "DENIED", "The manifest may still be referenced: only untagged or unreferenced manifests can be deleted")
			return
		}
		h.inner.ServeHTTP(rec, r)
		if rec.Status == http.StatusAccepted {
			h.mu.Lock()
			delete(h.digests[repo], ref)
			h.mu.Unlock()
		}
	case r.Method == http.MethodPut:
		body, err := io.ReadAll(r.Body)
		if err != nil {
			ociError(rec, http.StatusBadRequest, "MANIFEST_INVALID", err.Error())
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.inner.ServeHTTP(rec, r)
		if rec.Status == http.StatusCreated {
			h.stored(repo, ref, fmt.Sprintf("sha256:%x", sha256.Sum256(body)), r.Header.Get("Content-Type"), body)
		}
	default:
		h.inner.ServeHTTP(rec, r)
		if r.Method == http.MethodGet && rec.Status == http.StatusOK {
			h.pulled(repo, ref)
		}
	}
}

// pullAllowed counts a manifest GET against the pull limit and sets the
// rate-limit headers; over the limit it answers 429 itself.
func (h *Hub) pullAllowed(w http.ResponseWriter, r *http.Request) bool {
	if h.cfg.pulls <= 0 {
		return true
	}
	h.mu.Lock()
	if r.Method == http.MethodGet {
		h.pulls++
	}
	left := h.cfg.pulls - h.pulls
	h.mu.Unlock()
	w.Header().Set("RateLimit-Limit", fmt.Sprintf("%d;w=21600", h.cfg.pulls))
	w.Header().Set("RateLimit-Remaining", fmt.Sprintf("%d;w=21600", max(left, 0)))
	if left < 0 {
		ociError(w, http.StatusTooManyRequests, "TOOMANYREQUESTS", "You have reached your pull rate limit.")
		return false
	}
	return true
}

func (h *Hub) tagsOn(repo, digest string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for n, t := range h.repos[repo] {
		if t.Digest == digest {
			out = append(out, n)
		}
	}
	return out
}

// stored records a manifest pushed under ref (a tag or its digest).
func (h *Hub) stored(repo, ref, digest, mediaType string, body []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.cfg.now().UTC()
	if h.digests[repo] == nil {
		h.digests[repo] = map[string]time.Time{}
	}
	if _, ok := h.digests[repo][digest]; !ok {
		h.digests[repo][digest] = now
	}
	if strings.HasPrefix(ref, "sha256:") {
		return
	}
	if h.repos[repo] == nil {
		h.repos[repo] = map[string]*HubTag{}
	}
	h.repos[repo][ref] = &HubTag{Name: ref, Digest: digest, MediaType: mediaType, Images: images(digest, body), Pushed: now}
}

// images returns what the tag list gives in images[] for a manifest:
// the manifests an index lists, or the image's own digest.
func images(digest string, body []byte) []string {
	var m struct {
		Manifests []struct {
			Digest string `json:"digest"`
		} `json:"manifests"`
	}
	if json.Unmarshal(body, &m) != nil || m.Manifests == nil {
		return []string{digest}
	}
	out := []string{}
	for _, c := range m.Manifests {
		out = append(out, c.Digest)
	}
	return out
}

// pulled stamps a pull of a tag (a GET, not a HEAD, is a pull), and of
// the tags of a digest pulled by digest.
func (h *Hub) pulled(repo, ref string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for n, t := range h.repos[repo] {
		if n == ref || t.Digest == ref {
			t.Pulled = h.cfg.now().UTC()
		}
	}
}

func (h *Hub) apiMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v2/auth/token", h.authToken)
	mux.HandleFunc("POST /v2/users/login", h.usersLogin)
	mux.HandleFunc("GET /v2/namespaces/{ns}/repositories/{repo}/tags", h.authed(h.listTags))
	mux.HandleFunc("GET /v2/repositories/{ns}/{repo}/tags/", h.authed(h.listTags))
	mux.HandleFunc("DELETE /v2/repositories/{ns}/{repo}/tags/{tag}/", h.authed(h.deleteTag))
	mux.HandleFunc("GET /v2/repositories/{ns}/", h.authed(h.listRepos))
	mux.HandleFunc("GET /v2/namespaces/{ns}/repositories/{repo}/images", h.authed(h.listImages))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &StatusRecorder{ResponseWriter: w, Status: http.StatusOK}
		defer func() { h.record("api", r, rec.Status) }()
		if f := h.fault("api", r); f != nil {
			if f.RetryAfter > 0 {
				rec.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
			}
			if !f.XRetryAfter.IsZero() {
				rec.Header().Set("X-Retry-After", strconv.FormatInt(f.XRetryAfter.Unix(), 10))
			}
			hubError(rec, f.Status, "Rate limit exceeded")
			return
		}
		mux.ServeHTTP(rec, r)
	})
}

func (h *Hub) fault(side string, r *http.Request) *HubFault {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, f := range h.faults {
		n := max(f.Count, 1)
		fs := f.Side
		if fs == "" {
			fs = "api"
		}
		if fs != side || f.used >= n || (f.Method != "" && f.Method != r.Method) || !strings.Contains(r.URL.Path, f.PathContains) {
			continue
		}
		f.used++
		return f
	}
	return nil
}

func hubError(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"detail":%q,"error":false}`, detail)
}

func (h *Hub) issue() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.counter++
	tok := fmt.Sprintf("hubjwt-%d", h.counter)
	h.tokens[tok] = h.cfg.now().Add(h.cfg.tokenTTL)
	return tok
}

func (h *Hub) authToken(w http.ResponseWriter, r *http.Request) {
	if h.cfg.legacyOnly {
		hubError(w, http.StatusNotFound, "Not found")
		return
	}
	var req struct{ Identifier, Secret string }
	if json.NewDecoder(r.Body).Decode(&req) != nil || req.Identifier != h.cfg.user || req.Secret != h.cfg.secret {
		hubError(w, http.StatusUnauthorized, "Incorrect authentication credentials")
		return
	}
	writeJSON(w, map[string]string{"access_token": h.issue()})
}

func (h *Hub) usersLogin(w http.ResponseWriter, r *http.Request) {
	var req struct{ Username, Password string }
	if json.NewDecoder(r.Body).Decode(&req) != nil || req.Username != h.cfg.user || req.Password != h.cfg.secret {
		hubError(w, http.StatusUnauthorized, "Incorrect authentication credentials")
		return
	}
	writeJSON(w, map[string]string{"token": h.issue()})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// authed refuses a request without a live bearer token (401).
func (h *Hub) authed(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		h.mu.Lock()
		exp, known := h.tokens[tok]
		live := ok && known && h.cfg.now().Before(exp)
		h.mu.Unlock()
		if !live {
			hubError(w, http.StatusUnauthorized, "authentication required")
			return
		}
		next(w, r)
	}
}

// page answers page and page_size (default 10, at most 100), with an
// absolute next URL while more remain.
func (h *Hub) page(r *http.Request, n int) (lo, hi int, next any, errStatus int) {
	q := r.URL.Query()
	size, page := 10, 1
	if v := q.Get("page_size"); v != "" {
		s, err := strconv.Atoi(v)
		if err != nil || s < 1 || s > 100 {
			return 0, 0, nil, http.StatusBadRequest
		}
		size = s
	}
	if v := q.Get("page"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 {
			return 0, 0, nil, http.StatusBadRequest
		}
		page = p
	}
	lo = (page - 1) * size
	if lo > n || (lo == n && n > 0) {
		return 0, 0, nil, http.StatusNotFound
	}
	hi = min(lo+size, n)
	if hi < n {
		q.Set("page", strconv.Itoa(page+1))
		q.Set("page_size", strconv.Itoa(size))
		next = h.APIURL + r.URL.EscapedPath() + "?" + q.Encode()
	}
	return lo, hi, next, 0
}

func (h *Hub) listTags(w http.ResponseWriter, r *http.Request) {
	repo := r.PathValue("ns") + "/" + r.PathValue("repo")
	h.mu.Lock()
	tags, ok := h.repos[repo]
	var names []string
	for n := range tags {
		names = append(names, n)
	}
	h.mu.Unlock()
	if !ok {
		hubError(w, http.StatusNotFound, "object not found")
		return
	}
	sort.Strings(names)
	lo, hi, next, status := h.page(r, len(names))
	if status != 0 {
		hubError(w, status, "page out of range")
		return
	}
	results := []map[string]any{}
	h.mu.Lock()
	for _, n := range names[lo:hi] {
		results = append(results, hubTagJSON(tags[n]))
	}
	h.mu.Unlock()
	writeJSON(w, map[string]any{"count": len(names), "next": next, "previous": nil, "results": results})
}

func hubTagJSON(t *HubTag) map[string]any {
	var pulled any
	if !t.Pulled.IsZero() {
		pulled = t.Pulled.Format(time.RFC3339Nano)
	}
	return map[string]any{
		"name": t.Name, "digest": t.Digest, "media_type": t.MediaType, "content_type": "image",
		"tag_status": "active", "v2": true, "last_updated": t.Pushed.Format(time.RFC3339Nano),
		"tag_last_pushed": t.Pushed.Format(time.RFC3339Nano), "tag_last_pulled": pulled,
		"images": imagesJSON(t.Images),
	}
}

func imagesJSON(digests []string) []map[string]any {
	out := []map[string]any{}
	for _, d := range digests {
		out = append(out, map[string]any{"architecture": "amd64", "os": "linux", "digest": d, "status": "active"})
	}
	return out
}

// deleteTag removes a tag, and with it the registry's tag (undocumented
// call; 204 here).
func (h *Hub) deleteTag(w http.ResponseWriter, r *http.Request) {
	repo, tag := r.PathValue("ns")+"/"+r.PathValue("repo"), r.PathValue("tag")
	h.mu.Lock()
	_, ok := h.repos[repo][tag]
	delete(h.repos[repo], tag)
	h.mu.Unlock()
	if !ok {
		hubError(w, http.StatusNotFound, "tag not found")
		return
	}
	req := httptest.NewRequest(http.MethodDelete, "/v2/"+repo+"/manifests/"+url.PathEscape(tag), nil)
	h.inner.ServeHTTP(httptest.NewRecorder(), req)
	w.WriteHeader(http.StatusNoContent)
}

func (h *Hub) listRepos(w http.ResponseWriter, r *http.Request) {
	ns := r.PathValue("ns")
	h.mu.Lock()
	var names []string
	for repo := range h.repos {
		if n, name, _ := strings.Cut(repo, "/"); n == ns {
			names = append(names, name)
		}
	}
	h.mu.Unlock()
	sort.Strings(names)
	lo, hi, next, status := h.page(r, len(names))
	if status != 0 {
		hubError(w, status, "page out of range")
		return
	}
	results := []map[string]any{}
	for _, n := range names[lo:hi] {
		results = append(results, map[string]any{"name": n, "namespace": ns, "repository_type": "image"})
	}
	writeJSON(w, map[string]any{"count": len(names), "next": next, "previous": nil, "results": results})
}

// listImages answers 403 on a free plan, as Docker Hub does; on a paid
// one, currently_tagged=false lists the manifests no tag points at.
func (h *Hub) listImages(w http.ResponseWriter, r *http.Request) {
	if !h.cfg.pro {
		hubError(w, http.StatusForbidden, "this feature is only available to users on Pro or Team plans")
		return
	}
	ns, name := r.PathValue("ns"), r.PathValue("repo")
	repo := ns + "/" + name
	untaggedOnly := r.URL.Query().Get("currently_tagged") == "false"
	h.mu.Lock()
	tagged := map[string]bool{}
	for _, t := range h.repos[repo] {
		tagged[t.Digest] = true
	}
	var digests []string
	for d := range h.digests[repo] {
		if !untaggedOnly || !tagged[d] {
			digests = append(digests, d)
		}
	}
	sort.Strings(digests)
	pushed := map[string]time.Time{}
	for _, d := range digests {
		pushed[d] = h.digests[repo][d]
	}
	h.mu.Unlock()
	lo, hi, next, status := h.page(r, len(digests))
	if status != 0 {
		hubError(w, status, "page out of range")
		return
	}
	results := []map[string]any{}
	for _, d := range digests[lo:hi] {
		results = append(results, map[string]any{"namespace": ns, "repository": name, "digest": d,
			"tags": []any{}, "last_pushed": pushed[d].Format(time.RFC3339Nano), "status": "active"})
	}
	writeJSON(w, map[string]any{"count": len(digests), "next": next, "previous": nil, "results": results})
}
