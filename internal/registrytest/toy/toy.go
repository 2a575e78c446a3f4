// Package toy is the proof that a registry is a plug-in: a toy registry
// (go-containerregistry's in-memory one) with a listing API of its own,
// and its provider, written by following retention/registry's "how to
// add a registry". Its only line outside this package is the test's
// registry.Register(toy.API).
package toy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	ggcr "github.com/google/go-containerregistry/pkg/registry"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/registry"
)

// Server is the toy registry: the OCI API under /v2/, and its own API
// under /toy/: GET /toy/tags?repo=R lists R's tags with their digests and
// push times, DELETE /toy/tags?repo=R&tag=T deletes a tag, and DELETE
// /toy/manifests?repo=R&digest=D deletes a manifest and its tags.
type Server struct {
	Host string
	URL  string

	srv    *httptest.Server
	inner  http.Handler
	mu     sync.Mutex
	pushed map[string]time.Time // "repo@digest" -> when first listed
	tags   map[string]map[string]string
}

// tagJSON is one tag of the toy API's listing.
type tagJSON struct {
	Name   string    `json:"name"`
	Digest string    `json:"digest"`
	Pushed time.Time `json:"pushed"`
}

// Start runs a toy registry on loopback until Close.
func Start() *Server {
	s := &Server{inner: ggcr.New(ggcr.Logger(log.New(io.Discard, "", 0))), pushed: map[string]time.Time{}, tags: map[string]map[string]string{}}
	s.srv = httptest.NewServer(s)
	s.URL = s.srv.URL
	s.Host = strings.TrimPrefix(s.URL, "http://")
	return s
}

// Close stops the registry.
func (s *Server) Close() { s.srv.Close() }

// ServeHTTP answers the toy API, and passes the OCI API on, noting
// which tag each manifest PUT points where.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/toy/") {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/") {
			s.notePut(r)
		}
		s.inner.ServeHTTP(w, r)
		return
	}
	repo := r.URL.Query().Get("repo")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/toy/tags":
		_ = json.NewEncoder(w).Encode(s.list(repo))
	case r.Method == http.MethodDelete && r.URL.Path == "/toy/tags":
		s.deleteRef(w, repo, r.URL.Query().Get("tag"))
	case r.Method == http.MethodDelete && r.URL.Path == "/toy/manifests":
		d := r.URL.Query().Get("digest")
		for _, t := range s.tagsOn(repo, d) {
			s.deleteRef(httptest.NewRecorder(), repo, t)
		}
		s.deleteRef(w, repo, d)
	default:
		http.NotFound(w, r)
	}
}

// notePut records, for a tag PUT, the digest it points the tag at.
func (s *Server) notePut(r *http.Request) {
	repo, ref, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/v2/"), "/manifests/")
	if strings.HasPrefix(ref, "sha256:") {
		return
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	d := digestOf(body)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tags[repo] == nil {
		s.tags[repo] = map[string]string{}
	}
	s.tags[repo][ref] = d
	if _, ok := s.pushed[repo+"@"+d]; !ok {
		s.pushed[repo+"@"+d] = time.Now().UTC()
	}
}

func (s *Server) list(repo string) []tagJSON {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []tagJSON{}
	for t, d := range s.tags[repo] {
		out = append(out, tagJSON{Name: t, Digest: d, Pushed: s.pushed[repo+"@"+d]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (s *Server) tagsOn(repo, digest string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for t, d := range s.tags[repo] {
		if d == digest {
			out = append(out, t)
		}
	}
	return out
}

// deleteRef deletes a tag or a digest on the OCI side.
func (s *Server) deleteRef(w http.ResponseWriter, repo, ref string) {
	req := httptest.NewRequest(http.MethodDelete, "/v2/"+repo+"/manifests/"+ref, nil)
	s.inner.ServeHTTP(w, req)
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tags[repo], ref)
}

// SetPushed sets the push time the toy API reports for repo@digest.
func (s *Server) SetPushed(repo, digest string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pushed[repo+"@"+digest] = at
}

// API registers the toy provider: api: toy, for no host by default.
var API = registry.API{Name: "toy", New: func(reg retention.Registry, env registry.Env) (registry.Provider, error) {
	return &Provider{OCI: env.OCI, base: "http://" + reg.Host}, nil
}}

// Provider lists and deletes through the toy API, and reads manifests
// through the OCI reader it was given.
type Provider struct {
	registry.OCI
	base string
}

var _ registry.Provider = (*Provider)(nil)

// List lists a repository from the toy API alone: tags with digests and
// push times, no manifest read (a shallow listing, which the Router
// deepens over the OCI API when a plan deletes something).
func (p *Provider) List(ctx context.Context, repo string, _ bool, _ time.Time) (retention.Listing, error) {
	var tags []tagJSON
	if err := p.call(ctx, http.MethodGet, "/toy/tags", url.Values{"repo": {path(repo)}}, &tags); err != nil {
		return retention.Listing{}, fmt.Errorf("listing %s: %w", repo, err)
	}
	l := retention.Listing{Repository: repo, Manifests: map[string]retention.Manifest{}, Shallow: true}
	for _, t := range tags {
		l.Tags = append(l.Tags, retention.Tag{Name: t.Name, Digest: t.Digest, Pushed: t.Pushed})
	}
	return l, nil
}

// ListTags lists the tag names of repo.
func (p *Provider) ListTags(ctx context.Context, repo string) ([]string, error) {
	l, err := p.List(ctx, repo, false, time.Time{})
	return l.TagNames(), err
}

// DeleteTag deletes a tag through the toy API.
func (p *Provider) DeleteTag(ctx context.Context, repo, tag string) error {
	return p.call(ctx, http.MethodDelete, "/toy/tags", url.Values{"repo": {path(repo)}, "tag": {tag}}, nil)
}

// DeleteDigest deletes a manifest and its tags through the toy API.
func (p *Provider) DeleteDigest(ctx context.Context, repo, digest string, _ []string) error {
	return p.call(ctx, http.MethodDelete, "/toy/manifests", url.Values{"repo": {path(repo)}, "digest": {digest}}, nil)
}

func (p *Provider) call(ctx context.Context, method, endpoint string, q url.Values, into any) error {
	req, err := http.NewRequestWithContext(ctx, method, p.base+endpoint+"?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s", method, endpoint, resp.Status)
	}
	if into != nil {
		return json.NewDecoder(resp.Body).Decode(into)
	}
	return nil
}

// path is repo without its host.
func path(repo string) string {
	_, p, _ := strings.Cut(repo, "/")
	return p
}
